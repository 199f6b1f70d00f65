package io.fibonaccirpc;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stopping the jar as an operator does, with SIGTERM to its process (started with the JVM flags of scripts/run):
 * a gateway answers its calls in flight before it exits, but waits for them no longer than
 * {@code CAMEL_MAIN_SHUTDOWN_TIMEOUT}; a server finishes or gives back what it holds and loses nothing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GracefulStopIT {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final FaultReport REPORT = FaultReport.of(GracefulStopIT.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** The JVM's exit status after a shutdown on SIGTERM (128 + 15), whatever the shutdown hooks did. */
    private static final int SIGTERM_EXIT_STATUS = 143;

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_gateway_sent_sigterm_with_calls_in_flight_answers_them_before_it_exits() throws Exception {
        try (SilentServer slow = SilentServer.on(queue)) {
            ApplicationProcess gateway = ApplicationProcess.start("graceful-gateway", environment("gateway", "15"));
            try {
                List<CompletableFuture<HttpResponse<String>>> calls = calls(gateway, 5);
                await("5 requests at the server").atMost(Duration.ofSeconds(10))
                        .until(() -> slow.received().size() == 5);

                long stop = System.nanoTime();
                gateway.signal("TERM");
                await("the gateway stopping").atMost(Duration.ofSeconds(5))
                        .until(() -> gateway.logTail().contains("is shutting down"));
                // the slow server answers while the gateway is stopping
                for (Delivery request : slow.received()) {
                    reply(request, FIBONACCI.of(Integer.parseInt(new String(request.getBody(), StandardCharsets.UTF_8)))
                            .toString());
                }
                assertTrue(gateway.processHandle().onExit().get(30, TimeUnit.SECONDS) != null);
                long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop);

                List<HttpResponse<String>> responses = calls.stream()
                        .map(call -> FaultReport.outcomeWithin(call, Duration.ofSeconds(5))).toList();
                FaultReport.Row row = REPORT.row("graceful stop: gateway")
                        .injected("SIGTERM to the gateway's process with 5 calls in flight; the server replies while "
                                + "it stops")
                        .wrong(IntStream.range(0, responses.size()).filter(n -> responses.get(n) != null
                                && responses.get(n).statusCode() == 200
                                && !FIBONACCI.of(n).toString().equals(responses.get(n).body())).count())
                        .staleNotObservable("the test plays the server")
                        .callersSaw("in flight at the SIGTERM: " + statuses(responses) + "; the process exited "
                                + stopMillis + " ms after the SIGTERM with status " + gateway.exitValue());
                responses.forEach(response -> row.http(response == null ? -1 : response.statusCode()));
                row.record();

                for (int n = 0; n < calls.size(); n++) {
                    HttpResponse<String> response = responses.get(n);
                    assertNotNull(response, "no answer to call " + n);
                    assertEquals(200, response.statusCode(), response.body());
                    assertEquals(FIBONACCI.of(n).toString(), response.body());
                }
                assertEquals(SIGTERM_EXIT_STATUS, gateway.exitValue(), "a stop on SIGTERM: " + gateway.logTail());
            } finally {
                gateway.close();
            }
        }
    }

    @Test
    void a_gateway_waits_for_its_calls_in_flight_no_longer_than_the_shutdown_timeout() throws Exception {
        int shutdownTimeoutSeconds = 3;
        try (SilentServer silent = SilentServer.on(queue)) {
            ApplicationProcess gateway = ApplicationProcess.start("graceful-gateway-timeout",
                    environment("gateway", Integer.toString(shutdownTimeoutSeconds)));
            try {
                List<CompletableFuture<HttpResponse<String>>> calls = calls(gateway, 3);
                await("3 requests at the server").atMost(Duration.ofSeconds(10))
                        .until(() -> silent.received().size() == 3);

                long stop = System.nanoTime();
                gateway.signal("TERM");
                gateway.processHandle().onExit().get(60, TimeUnit.SECONDS);
                long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop);
                List<HttpResponse<String>> responses = calls.stream()
                        .map(call -> FaultReport.outcomeWithin(call, Duration.ofSeconds(5))).toList();
                FaultReport.Row row = REPORT.row("graceful stop: gateway, server never replies")
                        .injected("SIGTERM to the gateway's process with 3 calls in flight that no server answers; "
                                + "CAMEL_MAIN_SHUTDOWN_TIMEOUT " + shutdownTimeoutSeconds + " s, reply timeout 60 s")
                        .staleNotObservable("the test plays the server")
                        .callersSaw("in flight at the SIGTERM: " + statuses(responses) + "; the process exited "
                                + stopMillis + " ms after the SIGTERM with status " + gateway.exitValue());
                responses.forEach(response -> row.http(response == null ? -1 : response.statusCode()));
                row.record();

                for (HttpResponse<String> response : responses) {
                    assertNotNull(response, "every call in flight is answered: " + statuses(responses));
                    assertEquals(503, response.statusCode(), response.body());
                    assertEquals("urn:fibonacci-rpc:problem:stopping", problemType(response), response.body());
                    assertEquals("1", response.headers().firstValue("Retry-After").orElse(null), "Retry-After");
                    assertNotNull(Http.json(response.body()).get("correlationId"), "its request was published: "
                            + response.body());
                }
                assertEquals(SIGTERM_EXIT_STATUS, gateway.exitValue(), "a stop on SIGTERM: " + gateway.logTail());
                long drainMillis = 1000;
                assertTrue(stopMillis >= TimeUnit.SECONDS.toMillis(shutdownTimeoutSeconds),
                        "the stop waited for the calls in flight: exited after " + stopMillis + " ms");
                assertTrue(stopMillis < drainMillis + TimeUnit.SECONDS.toMillis(shutdownTimeoutSeconds) + 10_000,
                        "the stop waited no longer than the drain delay and the shutdown timeout (and the JVM's own "
                                + "exit), far from the 60 s reply timeout: exited after " + stopMillis + " ms");
            } finally {
                gateway.close();
            }
        }
    }

    @Test
    void a_server_sent_sigterm_under_load_leaves_no_request_unanswered_or_computed_twice() throws Exception {
        List<ApplicationProcess> servers = ApplicationProcess.startAll(Map.of(
                "graceful-server-stopped", environment("server", "15"),
                "graceful-server-remaining", environment("server", "15")));
        ApplicationProcess stopped = servers.stream().filter(s -> s.name().endsWith("stopped")).findFirst().orElseThrow();
        try (AmqpRpcCaller caller = AmqpRpcCaller.withDirectReplyTo(queue)) {
            List<CompletableFuture<AmqpRpcCaller.Reply>> replies = IntStream.range(0, 400)
                    .mapToObj(i -> caller.call(Integer.toString(5000 + i % 50))).toList();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> replies.stream().filter(CompletableFuture::isDone).count() >= 20);

            long stop = System.nanoTime();
            stopped.signal("TERM");
            stopped.processHandle().onExit().get(30, TimeUnit.SECONDS);
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop);

            List<AmqpRpcCaller.Reply> outcomes = replies.stream()
                    .map(reply -> FaultReport.outcomeWithin(reply, Duration.ofSeconds(30))).toList();
            FaultReport.Row row = REPORT.row("graceful stop: server")
                    .injected("SIGTERM to one of two servers' processes under 400 raw AMQP calls (n from 5000 to 5049)")
                    .wrong(IntStream.range(0, outcomes.size()).filter(i -> outcomes.get(i) != null
                            && outcomes.get(i).error() == null
                            && !FIBONACCI.of(5000 + i % 50).toString().equals(outcomes.get(i).body())).count())
                    .stale(caller.unmatchedReplies().size(), "replies to requests already answered, that is "
                            + "computed twice")
                    .callersSaw("the server exited " + stopMillis + " ms after the SIGTERM with status "
                            + stopped.exitValue() + "; requests left in the queue: " + TestBroker.get().queueDepth(queue));
            outcomes.forEach(row::amqp);
            row.record();

            for (int i = 0; i < replies.size(); i++) {
                AmqpRpcCaller.Reply reply = outcomes.get(i);
                assertNotNull(reply, "no reply to call " + i);
                assertNull(reply.error());
                assertEquals(FIBONACCI.of(5000 + i % 50).toString(), reply.body());
            }
            assertEquals(0, TestBroker.get().queueDepth(queue));
            assertEquals(List.of(), caller.unmatchedReplies(), "no request answered twice");
            assertEquals(SIGTERM_EXIT_STATUS, stopped.exitValue(), "a stop on SIGTERM: " + stopped.logTail());
        } finally {
            ApplicationProcess.closeAll(servers);
        }
    }

    private static List<CompletableFuture<HttpResponse<String>>> calls(ApplicationProcess gateway, int count) {
        return IntStream.range(0, count)
                .mapToObj(n -> HTTP.sendAsync(HttpRequest.newBuilder(gateway.uri("/fib/" + n)).build(),
                        HttpResponse.BodyHandlers.ofString()))
                .toList();
    }

    private static String statuses(List<HttpResponse<String>> responses) {
        return responses.stream().map(response -> response == null ? "no answer"
                : response.statusCode() + (response.statusCode() == 200 ? "" : " " + problemType(response))).toList()
                .toString();
    }

    private static Object problemType(HttpResponse<String> response) {
        return response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")
                ? Http.json(response.body()).get("type") : response.body();
    }

    private Map<String, String> environment(String role, String shutdownTimeoutSeconds) {
        return Map.of("RPC_ROLE", role, "RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters",
                "RPC_REPLY_TIMEOUT", "60000", "CAMEL_MAIN_SHUTDOWN_TIMEOUT", shutdownTimeoutSeconds);
    }

    private static void reply(Delivery request, String body) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", request.getProperties().getReplyTo(),
                    new AMQP.BasicProperties.Builder().correlationId(request.getProperties().getCorrelationId()).build(),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }
}
