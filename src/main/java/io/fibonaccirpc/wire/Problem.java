package io.fibonaccirpc.wire;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An HTTP problem answer (RFC 9457 {@code application/problem+json}): what went wrong, for people and machines.
 *
 * @param type          a URI naming the kind of problem
 * @param title         a short summary, the same for every problem of that type
 * @param status        the HTTP status
 * @param detail        what happened to this call
 * @param correlationId the correlation id of the RPC request, null when nothing was published
 * @param retryAfter    seconds after which a retry may succeed (the Retry-After header), null when not said
 */
public record Problem(String type, String title, int status, String detail, String correlationId, Integer retryAfter) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /**
     * The exchange variable that asks the HTTP listener to read nothing more from the caller's connection for this
     * many ms once the answer is written (a Long): a caller past its limit on a connection of its own, which retries
     * without waiting for Retry-After, waits on that connection instead of costing the gateway a refusal each time.
     */
    public static final String HOLD_CONNECTION_MILLIS = "holdConnectionMillis";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What every problem type URI of this application starts with. */
    public static final String TYPE_PREFIX = "urn:fibonacci-rpc:problem:";

    /** The problem type URI named after a code: {@code NO_SERVER} is {@code urn:fibonacci-rpc:problem:no-server}. */
    public static String typeOf(Enum<?> code) {
        return typeOf(code.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /** The problem type URI of a name in URI form, such as {@code reply-timeout}. */
    public static String typeOf(String name) {
        return TYPE_PREFIX + name;
    }

    /** The 500 of a failure of the gateway itself. */
    public static Problem internal(Throwable failure, String correlationId) {
        return CallProblem.GATEWAY_FAILED.problem("the gateway failed to handle the call ("
                + failure.getClass().getSimpleName() + ")", correlationId);
    }

    /** The 503 of a call that cannot be made now; soon again when the gateway is overloaded or stopping. */
    public static Problem unavailable(RpcUnavailableException.Reason reason, String detail, String correlationId) {
        return CallProblem.of(reason).problem(detail, correlationId);
    }

    /** The JSON members, in the order RFC 9457 lists them, extension members last. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("type", type);
        json.put("title", title);
        json.put("status", status);
        json.put("detail", detail);
        if (correlationId != null) {
            json.put("correlationId", correlationId);
        }
        return json;
    }

    /** The problem as the JSON text of an answer's body. */
    public String toJsonText() {
        try {
            return JSON.writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a published call failed on the way or at a server: worth a record in the dead-letter queue. */
    public boolean isFailedCall() {
        return status >= 500 && correlationId != null;
    }
}
