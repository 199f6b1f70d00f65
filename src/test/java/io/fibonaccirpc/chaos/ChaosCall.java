package io.fibonaccirpc.chaos;

import java.util.Map;

import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.Http;



/**
 * One call of the soak as its caller saw it. Times are milliseconds since the soak's start. {@code status} is -1
 * and {@code failure} says why when no HTTP answer came; {@code refused} counts the gateways that refused the
 * connection before the one that took the call.
 */
record ChaosCall(int index, String n, String gateway, long startMillis, long endMillis, int status,
                 String contentType, String retryAfter, String body, String failure, int refused) {

    private static final String PROBLEM_TYPE_PREFIX = "urn:fibonacci-rpc:problem:";

    /** fib(n) as decimal text, or null for a bad n. */
    String expected() {
        return ChaosLoad.BAD_N.containsKey(n) ? null : CallStream.fibonacci(Integer.parseInt(n));
    }

    boolean badN() {
        return ChaosLoad.BAD_N.containsKey(n);
    }

    /** The right answer: fib(n) for a good n, the 400 problem of its kind for a bad one. */
    boolean right() {
        if (badN()) {
            return status == 400 && ChaosLoad.BAD_N.get(n).equals(problemType());
        }
        return status == 200 && expected().equals(body);
    }

    /** A 200 with something other than fib(n). */
    boolean wrong() {
        return status == 200 && (badN() || !expected().equals(body));
    }

    boolean answered() {
        return failure == null;
    }

    /** The problem type after {@code urn:fibonacci-rpc:problem:}, or null when the answer is no problem of ours. */
    String problemType() {
        if (contentType == null || !contentType.startsWith("application/problem+json") || body == null) {
            return null;
        }
        try {
            Map<String, Object> problem = Http.json(body);
            Object type = problem.get("type");
            return type instanceof String text && text.startsWith(PROBLEM_TYPE_PREFIX)
                    ? text.substring(PROBLEM_TYPE_PREFIX.length()) : null;
        } catch (AssertionError e) {
            return null;
        }
    }

    /** What the caller got, in a few words: {@code 200}, {@code 503 no-server}, {@code 404 text/html}... */
    String outcome() {
        if (!answered()) {
            return "no answer (" + failure.substring(0, failure.indexOf(':')) + ")";
        }
        if (status == 200) {
            return right() ? "200" : "200 wrong";
        }
        String type = problemType();
        return status + " " + (type != null ? type : contentType == null || contentType.isEmpty() ? "(no body type)"
                : contentType);
    }

    boolean overlaps(long fromMillis, long toMillis) {
        return startMillis <= toMillis && (endMillis < 0 ? Long.MAX_VALUE : endMillis) >= fromMillis;
    }

    ChaosCall endedAt(long millis) {
        return new ChaosCall(index, n, gateway, startMillis, millis, status, contentType, retryAfter, body, failure,
                refused);
    }

    @Override
    public String toString() {
        String answer = body == null ? "" : " " + (body.length() <= 200 ? body : body.substring(0, 200) + "...");
        return "call " + index + " /fib/" + n + " to " + gateway + " at " + startMillis + "-" + endMillis + " ms: "
                + outcome() + (retryAfter != null ? " (Retry-After " + retryAfter + ")" : "") + answer
                + (failure != null ? " " + failure : "");
    }
}
