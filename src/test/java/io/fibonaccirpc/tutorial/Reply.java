package io.fibonaccirpc.tutorial;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;

/**
 * A reply as a tutorial client sees it: the body as UTF-8 text, exactly as it came, the {@code rpc-error}
 * header (null when there is none: a value), its correlation id and all its headers, text headers as strings.
 */
public record Reply(String body, String error, String correlationId, Map<String, Object> headers) {

    static Reply of(AMQP.BasicProperties properties, byte[] body) {
        Map<String, Object> headers = readable(properties.getHeaders());
        Object error = headers.get("rpc-error");
        return new Reply(new String(body, StandardCharsets.UTF_8), error == null ? null : error.toString(),
                properties.getCorrelationId(), headers);
    }

    /** A message's headers with AMQP long strings as Java strings; other values as the client decoded them. */
    static Map<String, Object> readable(Map<String, Object> headers) {
        if (headers == null) {
            return Map.of();
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        headers.forEach((name, value) -> copy.put(name, value instanceof LongString text ? text.toString() : value));
        return Collections.unmodifiableMap(copy);
    }
}
