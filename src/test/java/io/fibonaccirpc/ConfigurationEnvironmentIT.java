package io.fibonaccirpc;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings of the README's configuration table that no other test of the packaged jar sets: each in the environment
 * of the jar, as an operator sets it, and what it changes seen by a caller. (docs/readme-claims.md names the test
 * of every row.)
 */
class ConfigurationEnvironmentIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void fibonacci_max_n_bounds_n_at_the_gateway_and_at_the_server() throws Exception {
        try (ApplicationProcess application = ApplicationProcess.start("max-n", Map.of(
                "RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters", "FIBONACCI_MAX_N", "50"));
                AmqpRpcCaller caller = AmqpRpcCaller.withCallbackQueue(queue)) {
            HttpResponse<String> largest = Http.get(application.uri("/fib/50"));
            assertEquals(200, largest.statusCode(), largest.body());
            assertEquals("12586269025", largest.body());
            HttpResponse<String> beyond = Http.get(application.uri("/fib/51"));
            assertEquals(400, beyond.statusCode(), beyond.body());
            Map<String, Object> problem = Http.json(beyond.body());
            assertEquals("urn:fibonacci-rpc:problem:out-of-range", problem.get("type"));
            assertTrue(String.valueOf(problem.get("detail")).contains("0 to 50"), beyond.body());

            AmqpRpcCaller.Reply served = caller.call("50").get(10, TimeUnit.SECONDS);
            assertNull(served.error(), served.body());
            assertEquals("12586269025", served.body());
            AmqpRpcCaller.Reply refused = caller.call("51").get(10, TimeUnit.SECONDS);
            assertEquals("OUT_OF_RANGE", refused.error(), refused.body());
        }
    }

    @Test
    void rpc_max_in_flight_refuses_calls_past_it_and_rpc_reply_timeout_ends_a_call_waiting_for_its_reply()
            throws Exception {
        long replyTimeoutMillis = 1500;
        try (SilentServer silent = SilentServer.on(queue);
                ApplicationProcess gateway = ApplicationProcess.start("max-in-flight", Map.of(
                        "RPC_ROLE", "gateway", "RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters",
                        "RPC_MAX_IN_FLIGHT", "1", "RPC_REPLY_TIMEOUT", Long.toString(replyTimeoutMillis)))) {
            long sent = System.nanoTime();
            CompletableFuture<HttpResponse<String>> held = call(gateway.uri("/fib/1"));
            await("the first call is published").atMost(Duration.ofSeconds(10))
                    .until(() -> silent.received().size() == 1);

            HttpResponse<String> refused = call(gateway.uri("/fib/2")).get(5, TimeUnit.SECONDS);
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("urn:fibonacci-rpc:problem:overloaded", Http.json(refused.body()).get("type"));
            assertEquals(1, silent.received().size(), "the refused call was not published");

            HttpResponse<String> timedOut = held.get(15, TimeUnit.SECONDS);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertEquals(504, timedOut.statusCode(), timedOut.body());
            // the component's own reply timeout is 5 s, the table's default 10 s: either would answer later
            assertTrue(waitedMillis >= replyTimeoutMillis - 100 && waitedMillis < 4500,
                    "504 after " + waitedMillis + " ms with RPC_REPLY_TIMEOUT=" + replyTimeoutMillis);
            assertEquals(String.valueOf(replyTimeoutMillis), silent.received().get(0).getProperties().getExpiration(),
                    "the request expires with the call");
        }
    }

    private static CompletableFuture<HttpResponse<String>> call(URI uri) {
        return HTTP.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
