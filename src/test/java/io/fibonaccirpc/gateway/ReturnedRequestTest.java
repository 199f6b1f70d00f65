package io.fibonaccirpc.gateway;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request is published {@code mandatory}: when the queue is gone between the gateway's look and the publish, the
 * broker returns the request, and the caller is told at once (503 {@code no-queue}) instead of after the reply
 * timeout (504).
 */
class ReturnedRequestTest {

    private static final long REPLY_TIMEOUT_MILLIS = 5000;
    private static final long AT_ONCE_MILLIS = 1500;

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_request_to_a_queue_deleted_after_the_gateways_look_comes_back_and_its_caller_gets_503_no_queue_at_once() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", Long.toString(REPLY_TIMEOUT_MILLIS));
        // the gateway's look at the queue stays good for ten minutes: the next call goes by it and publishes
        properties.put("rpc.server-check-interval", "600000");
        try (RpcServerDouble server = RpcServerDouble.start(TestBroker.get().connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            HttpResponse<String> before = Http.get(gateway.uri("/fib/10"));
            assertEquals(200, before.statusCode(), before.body());
            assertEquals("55", before.body());

            TestBroker.get().deleteQueues(queue);
            long start = System.nanoTime();
            HttpResponse<String> response = Http.get(gateway.uri("/fib/11"));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;

            assertEquals(503, response.statusCode(), response.body());
            assertEquals("application/problem+json", Http.contentType(response));
            Map<String, Object> problem = Http.json(response.body());
            assertEquals("urn:fibonacci-rpc:problem:no-queue", problem.get("type"), response.body());
            assertTrue(((String) problem.get("detail")).contains("routed the request to no queue"), response.body());
            assertNotNull(problem.get("correlationId"), "the request was published: " + response.body());
            assertEquals("5", response.headers().firstValue("Retry-After").orElse(null));
            assertTrue(waitedMillis < AT_ONCE_MILLIS, "answered in " + waitedMillis + " ms, the reply timeout is "
                    + REPLY_TIMEOUT_MILLIS + " ms");
            assertEquals(1, server.requests().size(), "only the first request reached a queue: " + server.requests());
        }
    }
}
