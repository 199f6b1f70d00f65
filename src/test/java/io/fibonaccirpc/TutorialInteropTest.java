package io.fibonaccirpc;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.AmqpRpcCaller.Reply;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.support.Tutorial;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wire compatibility with RabbitMQ's RPC tutorial (tutorial six): n as decimal text to the queue with
 * {@code reply_to} and {@code correlation_id}, fib(n) as decimal text back to {@code reply_to} with the same
 * correlation id. Our routes talk to the tutorial's Python client and server, and to plain RabbitMQ Java
 * client callers, on a real broker and a queue of each test's own.
 */
class TutorialInteropTest {

    private static final Duration REPLY_WAIT = Duration.ofSeconds(10);

    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private final String queue = RunningApplication.newQueueName();
    private RunningApplication app;
    private Tutorial.Server tutorialServer;

    @AfterEach
    void tearDown() {
        try {
            if (tutorialServer != null) {
                tutorialServer.close();
            }
        } finally {
            try {
                if (app != null) {
                    app.close();
                }
            } finally {
                TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Tutorial.class)
    void the_tutorials_client_gets_values_and_error_replies_from_our_server(Tutorial tutorial) {
        app = start("server");

        Tutorial.ClientRun run = tutorial.runClient(queue, Duration.ofSeconds(60),
                "0", "1", "2", "10", "30", "abc", "-5", "100001");

        assertEquals(0, run.exitCode(), () -> tutorial + "'s client failed: " + run.errors() + run.lines());
        assertEquals(List.of(expected("0"), expected("1"), expected("2"), expected("10"), expected("30"),
                tutorial.errorLine("INVALID_ARGUMENT"), tutorial.errorLine("OUT_OF_RANGE"),
                tutorial.errorLine("OUT_OF_RANGE")), run.lines(), () -> tutorial + "'s client; stderr: " + run.errors());
    }

    /** The tutorial's server and our gateway, in either order: the gateway answers 503 until the queue is there. */
    @ParameterizedTest(name = "{0}, started {1}")
    @MethodSource("tutorialsAndOrders")
    void our_gateway_gets_answers_from_the_tutorials_server(Tutorial tutorial, String order) throws Exception {
        if (order.equals("first")) {
            tutorialServer = tutorial.startServer(queue);
            app = start("gateway");
        } else {
            app = start("gateway");
            HttpResponse<String> before = Http.get(app.uri("/fib/1"));
            assertEquals(503, before.statusCode(), before.body());
            tutorialServer = tutorial.startServer(queue);
            await("the gateway sees " + tutorial + "'s server").atMost(Duration.ofSeconds(10))
                    .until(() -> Http.get(app.uri("/fib/1")).statusCode() == 200);
        }
        assertNull(app.camelContext().getRoute("fibonacci-server"), "a client-only application serves no queue");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        for (String n : List.of("20", "0", "1", "2", "10")) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(app.uri("/fib/" + n)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());

            String what = "GET /fib/" + n + " answered by " + tutorial + "'s server";
            assertAll(what,
                    () -> assertEquals(200, response.statusCode(), () -> what + ": " + response.body()),
                    () -> assertEquals(expected(n), response.body()),
                    () -> assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                            () -> what + " content type: " + response.headers().firstValue("Content-Type")));
        }
        // our requests' headers (rpc-deadline, traceparent) are of types every client library decodes
        assertTrue(tutorialServer.isAlive(), () -> tutorial + "'s server died: " + tutorialServer.output());
    }

    static Stream<Arguments> tutorialsAndOrders() {
        return Arrays.stream(Tutorial.values())
                .flatMap(tutorial -> Stream.of(Arguments.of(tutorial, "first"), Arguments.of(tutorial, "second")));
    }

    @Test
    void java_client_with_its_own_callback_queue_gets_concurrent_answers_matched_by_correlation_id()
            throws Exception {
        app = start("server");
        try (AmqpRpcCaller caller = AmqpRpcCaller.withCallbackQueue(queue)) {
            assertFalse(caller.replyTo().startsWith(AmqpRpcCaller.DIRECT_REPLY_TO));
            assertConcurrentCallsGetTheirOwnAnswers(caller);
        }
    }

    @Test
    void java_client_with_direct_reply_to_gets_concurrent_answers_matched_by_correlation_id() throws Exception {
        app = start("server");
        try (AmqpRpcCaller caller = AmqpRpcCaller.withDirectReplyTo(queue)) {
            assertConcurrentCallsGetTheirOwnAnswers(caller);
        }
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource({
            "abc, INVALID_ARGUMENT",
            "-5, OUT_OF_RANGE",
            "100001, OUT_OF_RANGE",
            "'', INVALID_ARGUMENT"
    })
    void a_request_that_can_never_succeed_gets_an_error_reply_and_is_not_requeued(String body, String error)
            throws Exception {
        app = start("server");
        Reply reply;
        try (AmqpRpcCaller caller = AmqpRpcCaller.withCallbackQueue(queue)) {
            String correlationId = "bad-request-" + queue;

            reply = caller.call(body, correlationId).get(3, TimeUnit.SECONDS);

            assertEquals(correlationId, reply.correlationId());
            assertTrue(caller.unmatchedReplies().isEmpty(), () -> "stray replies: " + caller.unmatchedReplies());
        }
        assertEquals(error, reply.error(), () -> "reply: " + reply);
        assertFalse(reply.body().isBlank(), "an error reply says what went wrong");
        // a stopped server gives back what it has not acknowledged: an empty queue now means it acked the request
        app.close();
        assertEquals(0, TestBroker.get().queueDepth(queue), "requests left in " + queue);
    }

    private void assertConcurrentCallsGetTheirOwnAnswers(AmqpRpcCaller caller) throws Exception {
        // all published before any reply is awaited: they are in flight together, and come back in any order
        Map<Integer, CompletableFuture<Reply>> calls = new LinkedHashMap<>();
        IntStream.concat(IntStream.rangeClosed(0, 40), IntStream.of(93, 1000, 20000))
                .forEach(n -> calls.put(n, caller.call(Integer.toString(n))));

        CompletableFuture.allOf(calls.values().toArray(CompletableFuture[]::new))
                .get(REPLY_WAIT.toSeconds(), TimeUnit.SECONDS);

        for (Map.Entry<Integer, CompletableFuture<Reply>> call : calls.entrySet()) {
            Reply reply = call.getValue().join();
            assertNull(reply.error(), () -> "error reply for n=" + call.getKey() + ": " + reply);
            assertEquals(fibonacci.of(call.getKey()).toString(), reply.body(), "fib(" + call.getKey() + ")");
        }
        assertTrue(caller.unmatchedReplies().isEmpty(), () -> "stray replies: " + caller.unmatchedReplies());
    }

    private RunningApplication start(String role) {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", role);
        properties.put("rpc.reply-timeout", Long.toString(REPLY_WAIT.toMillis()));
        return RunningApplication.start(properties);
    }

    private String expected(String n) {
        return fibonacci.of(Integer.parseInt(n)).toString();
    }
}
