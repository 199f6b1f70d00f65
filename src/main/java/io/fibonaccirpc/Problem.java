package io.fibonaccirpc;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP problem answer (RFC 9457 {@code application/problem+json}): what went wrong, for people and machines.
 *
 * @param type          a URI naming the kind of problem
 * @param title         a short summary, the same for every problem of that type
 * @param status        the HTTP status
 * @param detail        what happened to this call
 * @param correlationId the correlation id of the RPC request, null when nothing was published
 */
public record Problem(String type, String title, int status, String detail, String correlationId) {

    public static final String MEDIA_TYPE = "application/problem+json";

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

    /** Whether the gateway or the servers behind it failed, as opposed to the caller's request. */
    public boolean isServerSide() {
        return status >= 500;
    }
}
