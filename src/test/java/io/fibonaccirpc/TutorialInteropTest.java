package io.fibonaccirpc;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.AmqpRpcCaller.Reply;
import io.fibonaccirpc.support.PythonTutorial;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    private PythonTutorial.Server pythonServer;

    @AfterEach
    void tearDown() {
        try {
            if (pythonServer != null) {
                pythonServer.close();
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

    @Test
    void tutorial_python_client_gets_answers_from_our_server() {
        app = start("server");
        List<String> ns = List.of("0", "1", "30", "93", "1000");

        PythonTutorial.ClientRun run = PythonTutorial.locate().runClient(queue, Duration.ofSeconds(60),
                ns.toArray(String[]::new));

        assertEquals(0, run.exitCode(), () -> "rpc_client.py failed: " + run.errors());
        assertEquals(ns.stream().map(this::expected).toList(), run.lines());
    }

    @Test
    void our_http_client_gets_answers_from_the_tutorial_python_server() throws Exception {
        app = start("client");
        assertNull(app.camelContext().getRoute("fibonacci-server"), "a client-only application serves no queue");
        pythonServer = PythonTutorial.locate().startServer(queue);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        for (String n : List.of("30", "0", "1", "20")) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(app.uri("/fib/" + n)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());

            String what = "GET /fib/" + n;
            assertAll(what,
                    () -> assertEquals(200, response.statusCode(), () -> what + ": " + response.body()),
                    () -> assertEquals(expected(n), response.body()),
                    () -> assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                            () -> what + " content type: " + response.headers().firstValue("Content-Type")));
        }
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
