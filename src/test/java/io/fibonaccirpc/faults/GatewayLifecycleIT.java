package io.fibonaccirpc.faults;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's HTTP port as a load balancer sees it while the jar starts and stops: it refuses connections until
 * every route can answer (never a 404 page for a path whose route is not there yet), and once a stop begins
 * (SIGTERM) its readiness is DOWN and every call that still comes gets 503 {@code stopping} with
 * {@code Retry-After}, while the calls in flight are answered; no accepted connection is dropped.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GatewayLifecycleIT {

    /** What one call got: an HTTP answer, or a connection refused, or another failure (an accepted one dropped). */
    private record Outcome(String path, int status, String contentType, String retryAfter, String body,
                           String failure) {

        boolean refused() {
            return "refused".equals(failure);
        }

        String problemType() {
            return contentType != null && contentType.startsWith("application/problem+json")
                    ? String.valueOf(Http.json(body).get("type")) : null;
        }

        @Override
        public String toString() {
            return path + ": " + (failure != null ? failure : status + " " + contentType + " " + body);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private static final long CALL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_starting_gateway_refuses_connections_until_its_routes_answer() {
        ApplicationProcess gateway = ApplicationProcess.launchUnready("lifecycle-start", environment("all"));
        try {
            List<Outcome> outcomes = new ArrayList<>();
            await("the starting gateway answers").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        assertTrue(gateway.isAlive(), "the gateway exited: " + gateway.logTail());
                        Outcome outcome = call(gateway.uri("/fib/-1")).join();
                        outcomes.add(outcome);
                        return !outcome.refused();
                    });
            gateway.awaitStarted();
            Outcome first = outcomes.get(outcomes.size() - 1);
            assertEquals(400, first.status(), "the first answer of a starting gateway to /fib/-1: " + first);
            assertEquals("urn:fibonacci-rpc:problem:out-of-range", first.problemType(), first.toString());
            assertTrue(outcomes.subList(0, outcomes.size() - 1).stream().allMatch(Outcome::refused),
                    "before the first answer, connections are refused: " + outcomes);
            Outcome answer = call(gateway.uri("/fib/30")).join();
            assertEquals("832040", answer.body(), answer.toString());
        } finally {
            gateway.close();
        }
    }

    @Test
    void a_stopping_gateway_answers_its_calls_in_flight_and_every_new_call_503_stopping() throws Exception {
        Duration serverDelay = Duration.ofMillis(800);
        try (RpcServerDouble server = RpcServerDouble.start(TestBroker.get().connectionFactory(), queue,
                n -> serverDelay)) {
            ApplicationProcess gateway = ApplicationProcess.start("lifecycle-stop", environment("gateway"));
            List<CompletableFuture<Outcome>> calls = new CopyOnWriteArrayList<>();
            List<Outcome> readiness = new CopyOnWriteArrayList<>();
            AtomicBoolean calling = new AtomicBoolean(true);
            Thread caller = new Thread(() -> {
                for (int i = 0; calling.get(); i++) {
                    calls.add(call(gateway.uri("/fib/" + (10 + i % 50))));
                    readiness.add(call(gateway.uri("/observe/health/ready")).join());
                    LockSupport.parkNanos(CALL_INTERVAL_NANOS); // the callers' pace, about 100 calls a second
                }
            }, "lifecycle-caller");
            try {
                caller.start();
                await("calls in flight").atMost(Duration.ofSeconds(20)).until(() -> server.requests().size() >= 5);
                int inFlightAtStop = calls.size();
                long stopping = System.nanoTime();
                gateway.processHandle().destroy(); // SIGTERM
                gateway.processHandle().onExit().get(30, TimeUnit.SECONDS);
                long stoppedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
                await("calls after the stop refused").atMost(Duration.ofSeconds(10))
                        .until(() -> calls.get(calls.size() - 1).join().refused());
                calling.set(false);
                caller.join(10_000);

                List<Outcome> outcomes = calls.stream().map(CompletableFuture::join).toList();
                System.out.printf("stopped in %d ms; %d calls, %d before the SIGTERM, %d answered 503 stopping; "
                                + "readiness answers: %s%n", stoppedMillis, outcomes.size(), inFlightAtStop,
                        outcomes.stream().filter(GatewayLifecycleIT::isStopping).count(),
                        readiness.stream().map(r -> r.refused() ? "refused" : Integer.toString(r.status())).toList());
                for (Outcome outcome : outcomes.subList(0, Math.min(inFlightAtStop, outcomes.size()))) {
                    assertTrue(outcome.status() == 200 || isStopping(outcome) || outcome.refused(),
                            "a call sent before the SIGTERM: " + outcome);
                }
                assertTrue(outcomes.subList(0, 3).stream().allMatch(outcome -> outcome.status() == 200),
                        "the first calls are answered: " + outcomes.subList(0, 3));
                long stoppingAnswers = outcomes.stream().filter(GatewayLifecycleIT::isStopping).count();
                for (Outcome outcome : outcomes) {
                    assertTrue(outcome.status() == 200 || isStopping(outcome) || outcome.refused(),
                            "every call is answered 200, or 503 stopping, or its connection refused: " + outcome);
                }
                assertTrue(stoppingAnswers > 0 || outcomes.stream().anyMatch(Outcome::refused),
                        "calls during the drain got 503 stopping or were refused: " + outcomes);
                int down = readiness.indexOf(readiness.stream().filter(r -> r.status() != 200).findFirst()
                        .orElseThrow(() -> new AssertionError("readiness never went down: " + readiness)));
                assertTrue(readiness.subList(down, readiness.size()).stream().allMatch(r -> r.refused()
                        || r.status() == 503 && r.body().contains("\"http\"") && r.body().contains("DOWN")),
                        "once the stop began, readiness is DOWN (http) or refused, never UP again: " + readiness);
                assertFalse(outcomes.stream().anyMatch(o -> o.failure() != null && !o.refused()),
                        "no accepted connection dropped: " + outcomes.stream()
                                .filter(o -> o.failure() != null && !o.refused()).toList());
                assertEquals(0, outcomes.stream().filter(o -> o.status() == 200
                        && !CallStream.fibonacci(Integer.parseInt(o.path().substring("/fib/".length()))).equals(o.body()))
                        .count(), "wrong answers");
            } finally {
                calling.set(false);
                gateway.close();
            }
        }
    }

    private static boolean isStopping(Outcome outcome) {
        return outcome.status() == 503 && "urn:fibonacci-rpc:problem:stopping".equals(outcome.problemType())
                && "1".equals(outcome.retryAfter());
    }

    private static CompletableFuture<Outcome> call(URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Outcome(uri.getPath(), response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(null),
                        response.headers().firstValue("Retry-After").orElse(null), response.body(), null))
                .exceptionally(failure -> {
                    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                    return new Outcome(uri.getPath(), -1, null, null, null,
                            cause instanceof ConnectException ? "refused" : cause instanceof IOException
                                    ? "dropped: " + cause : "failed: " + cause);
                });
    }

    private Map<String, String> environment(String role) {
        return Map.of("RPC_ROLE", role, "RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters",
                "RPC_REPLY_TIMEOUT", "5000");
    }
}
