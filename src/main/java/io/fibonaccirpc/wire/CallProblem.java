package io.fibonaccirpc.wire;

import java.util.Locale;

/**
 * The catalogue of what a call can fail with: each failure's HTTP status, problem type, title, Retry-After and the
 * outcome its metrics count it as. The one source of the problem answers (gateway.Problems), the gateway's metrics,
 * and the tests that check docs/errors.md and the OpenAPI document against it.
 */
public enum CallProblem {
    /** n is not a decimal integer, checked by the gateway. */
    INVALID_N(400, "invalid-argument", "Invalid n", null, "invalid"),
    /** The HTTP listener's authentication is on, and the call came without good credentials. */
    UNAUTHORIZED(401, "unauthorized", "Authentication required", null, "unauthorized"),
    /** The caller already has as many calls in flight as one caller may have (rpc.caller.max-in-flight). */
    CALLER_LIMITED(429, "too-many-calls", "Too many calls in flight from this caller", 1, "throttled"),
    /** n is a decimal integer outside 0..max, checked by the gateway. */
    N_OUT_OF_RANGE(400, "out-of-range", "Invalid n", null, "invalid"),
    /** A server refused the request as not a number. */
    SERVER_REFUSED_N(400, "invalid-argument", "The server refused n", null, "invalid"),
    /** A server's maximum is below n. */
    BEYOND_SERVER_RANGE(422, "out-of-range", "n is beyond the server's range", null, "invalid"),
    /** A server replied with something that is not a value. */
    BAD_REPLY(502, "bad-reply", "The server sent a reply that is not a value", null, "server_error"),
    /** A server failed. */
    SERVER_FAILED(502, "internal", "The server failed", null, "server_error"),
    /** The request queue does not exist. */
    NO_QUEUE(503, "no-queue", "The request queue does not exist", 5, "no_server"),
    /** The request queue exists, but no server consumes it. */
    NO_SERVER(503, "no-server", "No server consumes the request queue", 5, "no_server"),
    /** The broker refuses publishes for now (a memory or disk alarm). */
    BROKER_BLOCKED(503, "broker-blocked", "The broker is not accepting requests", 5, "unavailable"),
    /** The gateway is not connected to the broker, or not yet ready again after a lost connection. */
    BROKER_UNAVAILABLE(503, "broker-unavailable", "The message broker is unavailable", 5, "unavailable"),
    /** The connection to the broker closed while the call waited for its reply. */
    CONNECTION_LOST(503, "connection-lost", "The connection to the broker was lost", 5, "unavailable"),
    /** The gateway already has as many calls in flight as it allows. */
    OVERLOADED(503, "overloaded", "Too many calls in flight", 1, "overload"),
    /** The gateway is stopping: it takes no new call (another gateway does). */
    STOPPING(503, "stopping", "The gateway is stopping", 1, "unavailable"),
    /** No reply within the reply timeout. */
    REPLY_TIMEOUT(504, "reply-timeout", "No reply from a server in time", null, "timeout"),
    /** The gateway itself failed. */
    GATEWAY_FAILED(500, "internal", "The gateway failed", null, "error");

    private final int status;
    private final String name;
    private final String title;
    private final Integer retryAfter;
    private final String outcome;

    CallProblem(int status, String name, String title, Integer retryAfter, String outcome) {
        this.status = status;
        this.name = name;
        this.title = title;
        this.retryAfter = retryAfter;
        this.outcome = outcome;
    }

    /** The problem answer of this failure. */
    public Problem problem(String detail, String correlationId) {
        return new Problem(type(), title, status, detail, correlationId, retryAfter);
    }

    public int status() {
        return status;
    }

    /** The problem type URI: {@code urn:fibonacci-rpc:problem:no-server}. */
    public String type() {
        return Problem.typeOf(name);
    }

    public String title() {
        return title;
    }

    /** Seconds after which a retry may succeed (the Retry-After header), null when not said. */
    public Integer retryAfter() {
        return retryAfter;
    }

    /** What the gateway's metrics count a call answered so as: the {@code outcome} label. */
    public String outcome() {
        return outcome;
    }

    /** The entry of a 503 of this reason. */
    public static CallProblem of(RpcUnavailableException.Reason reason) {
        return valueOf(reason.name().toUpperCase(Locale.ROOT));
    }

    /** The entry of an answer of this status and type, or null when the catalogue has none. */
    public static CallProblem of(int status, String type) {
        for (CallProblem problem : values()) {
            if (problem.status == status && problem.type().equals(type)) {
                return problem;
            }
        }
        return null;
    }
}
