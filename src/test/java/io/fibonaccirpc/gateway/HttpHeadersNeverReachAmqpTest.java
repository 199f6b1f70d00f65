package io.fibonaccirpc.gateway;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RecordingReplyServer;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.tuning.RpcCallTemplate;
import io.fibonaccirpc.wire.RpcHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "HTTP request headers never reach AMQP, and Camel* headers from outside are ignored": a call with hostile headers,
 * and the request as a plain AMQP consumer of the request queue receives it.
 */
class HttpHeadersNeverReachAmqpTest {

    private static final String HOSTILE = "hostile-value-4f1c";
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_call_with_hostile_http_headers_publishes_a_request_with_only_the_gateways_own_headers_and_properties() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        String victim = queue + ".victim";
        try (RecordingReplyServer server = RecordingReplyServer.on(TestBroker.get(), queue);
             RunningApplication gateway = RunningApplication.start(properties)) {
            HttpResponse<String> response = Http.get(gateway.uri("/fib/12"),
                    "Authorization", "Bearer " + HOSTILE,
                    "Cookie", "session=" + HOSTILE,
                    "X-Custom", HOSTILE,
                    "rpc-deadline", "1",
                    "rpc-error", "INTERNAL",
                    "CamelSpringRabbitmqCorrelationId", HOSTILE,
                    "CamelSpringRabbitmqReplyTo", victim,
                    "CamelSpringRabbitmqRoutingKey", victim,
                    "CamelSpringRabbitmqExchangeOverrideName", "amq.topic",
                    "CamelSpringRabbitmqDeliveryMode", "PERSISTENT",
                    "CamelSpringRabbitmqExpiration", "999999",
                    "CamelSpringRabbitmqPriority", "9",
                    "CamelSpringRabbitmqContentType", "application/x-java-serialized-object",
                    "CamelRabbitmqRoutingKey", victim,
                    "CamelRabbitmqReplyTo", victim,
                    "traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01");

            assertEquals(200, response.statusCode(), response.body());
            assertEquals("144", response.body());
            assertEquals(1, server.received().size(), "one request published to " + queue);
            Delivery request = server.received().get(0);
            AMQP.BasicProperties wire = request.getProperties();
            System.out.println("the request of a call with hostile headers: " + wire);

            Map<String, Object> headers = wire.getHeaders();
            // nothing of Spring AMQP's either (it marks mandatory publishes with spring_listener_return_correlation
            // unless its publisher returns are off)
            assertEquals(Set.of(RpcHeaders.DEADLINE, "traceparent"),
                    headers.keySet(), "the request's AMQP headers: " + headers);
            assertTrue(Long.parseLong(headers.get(RpcHeaders.DEADLINE).toString()) > System.currentTimeMillis(),
                    "the gateway's own deadline, not the caller's: " + headers);
            String traceparent = headers.get("traceparent").toString();
            assertTrue(traceparent.startsWith("00-" + TRACE_ID + "-"), "the caller's trace is continued: " + traceparent);
            assertFalse(traceparent.contains(CALLER_SPAN), "in a span of the gateway's own: " + traceparent);
            for (Object value : headers.values()) {
                assertFalse(value.toString().contains(HOSTILE), "a caller's value in the AMQP headers: " + headers);
            }
            // the hostile Camel* headers did not set any property of the request
            assertEquals("", request.getEnvelope().getExchange());
            assertEquals(queue, request.getEnvelope().getRoutingKey());
            assertNotEquals(HOSTILE, wire.getCorrelationId());
            assertTrue(wire.getReplyTo().startsWith(queue + RpcCallTemplate.REPLY_QUEUE_INFIX), wire.getReplyTo());
            assertEquals(1, wire.getDeliveryMode());
            assertEquals("10000", wire.getExpiration());
            assertEquals(0, wire.getPriority());
            assertEquals("text/plain", wire.getContentType());
            for (String property : List.of(String.valueOf(wire.getMessageId()), String.valueOf(wire.getType()),
                    String.valueOf(wire.getAppId()), String.valueOf(wire.getUserId()))) {
                assertFalse(property.contains(HOSTILE), wire.toString());
            }
            assertEquals(-1, TestBroker.get().queueDepth(victim), "nothing was written to another queue");
        }
    }
}
