package io.fibonaccirpc.bench;

import java.util.HashMap;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import io.fibonaccirpc.wire.RpcHeaders;
import io.fibonaccirpc.wire.TraceContext;

/**
 * What the benchmark's AMQP caller puts on a request besides its correlation id and reply_to: each of the things
 * the gateway adds (see {@code RpcCallTemplate} and Spring's message conversion), alone or together, so that
 * {@link BrokerCost} can measure what each costs the broker.
 *
 * @param name            the shape's name in the table
 * @param expiration      the AMQP {@code expiration} of the gateway's requests (its reply timeout, 10 s)
 * @param deadline        the {@value RpcHeaders#DEADLINE} header, epoch milliseconds as decimal text
 * @param traceparent     a W3C {@code traceparent} header
 * @param mandatory       published with the {@code mandatory} flag
 * @param springProperties the properties Spring's conversion of a String sets: delivery mode 1, content type
 *                        {@code text/plain}, content encoding {@code UTF-8}, priority 0
 */
record RequestShape(String name, boolean expiration, boolean deadline, boolean traceparent, boolean mandatory,
        boolean springProperties) {

    /** The tutorial's request: correlation id and reply_to, nothing else (the baseline's). */
    static final RequestShape PLAIN = new RequestShape("plain (correlation id, reply_to)", false, false, false, false,
            false);
    /** Everything the gateway puts on a request. */
    static final RequestShape AS_THE_GATEWAY = new RequestShape("as the gateway publishes (all of the above)", true,
            true, true, true, true);

    private static final String EXPIRATION = "10000";
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /** The request's properties for a call. */
    AMQP.BasicProperties properties(String correlationId, String replyTo) {
        AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder().correlationId(correlationId)
                .replyTo(replyTo);
        if (expiration) {
            builder.expiration(EXPIRATION);
        }
        if (deadline || traceparent) {
            Map<String, Object> headers = new HashMap<>(4);
            if (deadline) {
                headers.put(RpcHeaders.DEADLINE, Long.toString(System.currentTimeMillis() + 10_000));
            }
            if (traceparent) {
                headers.put(TraceContext.TRACEPARENT, TRACEPARENT);
            }
            builder.headers(headers);
        }
        if (springProperties) {
            builder.deliveryMode(1).contentType("text/plain").contentEncoding("UTF-8").priority(0);
        }
        return builder.build();
    }
}
