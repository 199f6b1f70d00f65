package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker closes the gateway's connection under it ({@code rabbitmqctl close_connection}) while calls are
 * in flight. The README: "503 {@code connection-lost} at once for the calls in flight, then
 * {@code broker-unavailable} / {@code no-server} for under a second while the consumers come back".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionClosedTest extends WithDisposableBroker {

    /** Long, so that a call that waits for it is told apart from one that fails fast. */
    private static final long REPLY_TIMEOUT_MILLIS = 10_000;
    /**
     * The server holds the in-flight calls' requests this long: they are still in flight when the connection
     * closes (finding the connection takes two rabbitmqctl runs, about 1.3 s on a 2-CPU machine, and closing
     * it a third), and a call answered before it was held that long did not wait for its reply.
     */
    private static final Duration SERVER_DELAY = Duration.ofMillis(5000);
    /**
     * "At once": the in-flight calls are answered within this of close_connection's return (the connection
     * closes while that rabbitmqctl run goes, 0.5 to 1 s of it here), a tenth of the reply timeout.
     */
    private static final long AT_ONCE_MILLIS = 1000;
    /** "For under a second": calls are answered right again within this of close_connection's return. */
    private static final long RECOVERY_MILLIS = 1000;
    private static final int IN_FLIGHT = 5;
    private static final FaultReport REPORT = FaultReport.of(ConnectionClosedTest.class);

    @Test
    void in_flight_calls_get_503_connection_lost_at_once_and_calls_are_answered_again_within_a_second()
            throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS);
        List<Integer> ns = IntStream.range(0, IN_FLIGHT).map(i -> 20 + i).boxed().toList();
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue,
                n -> ns.contains(n) ? SERVER_DELAY : Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            Call warmUp = CallStream.call(gateway.uri("/"), 10, Duration.ofSeconds(20)).get(20, TimeUnit.SECONDS);
            assertTrue(warmUp.right(), "before the fault: " + warmUp);
            List<String> pids = broker.connectionPidsMatching("fibonacci-rpc gateway");
            assertEquals(1, pids.size(), "connections named fibonacci-rpc gateway: " + broker.connectionNames());

            List<CompletableFuture<Call>> inFlight = ns.stream()
                    .map(n -> CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(20))).toList();
            await("the server holds the calls").atMost(Duration.ofSeconds(5))
                    .until(() -> broker.queueDepth(queue) == 0
                            && server.receivedBodies().containsAll(ns.stream().map(String::valueOf).toList()));

            long closing = System.nanoTime();
            broker.closeConnection(pids.get(0), "fault test: connection closed");
            long closedAt = System.nanoTime();
            List<Call> calls = inFlight.stream().map(CompletableFuture::join).toList();
            // then calls until one is answered right: before it, only the 503s of a gateway not listening yet
            List<Call> after = new CopyOnWriteArrayList<>();
            try {
                await("a call answered right after the close").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(50)).until(() -> {
                            Call call = CallStream.call(gateway.uri("/"), 40 + after.size(), Duration.ofSeconds(5))
                                    .get(10, TimeUnit.SECONDS);
                            after.add(call);
                            return call.right() || !isComingBack(call);
                        });
            } catch (ConditionTimeoutException e) {
                // no right answer: reported and asserted below
            }
            Call next = after.get(after.size() - 1);

            System.out.printf("close_connection took %d ms; in-flight calls, ended after it returned:%n%s%n"
                            + "then:%n%s%n", millis(closedAt - closing), describe(calls, closedAt),
                    describe(after, closedAt));
            List<Call> all = new ArrayList<>(List.of(warmUp));
            all.addAll(calls);
            all.addAll(after);
            long lastEnded = calls.stream().mapToLong(call -> millis(call.endNanos() - closedAt)).max().orElse(0);
            FaultReport.Row row = REPORT.row("connection closed")
                    .injected("rabbitmqctl close_connection of the gateway's connection under " + IN_FLIGHT
                            + " calls in flight (server holds each " + SERVER_DELAY.toMillis() + " ms, reply timeout "
                            + REPLY_TIMEOUT_MILLIS + " ms)")
                    .calls(all)
                    .stale(server.staleRequests(all).size(), "requests the test-double server received with no "
                            + "caller waiting, or twice")
                    .callersSaw(String.format("in flight: %s, the last %d ms %s close_connection returned (it took "
                                    + "%d ms); then: %s", problems(calls), Math.abs(lastEnded),
                            lastEnded < 0 ? "before" : "after", millis(closedAt - closing), problems(after)));
            if (next.right()) {
                row.recoveredAfter(millis(next.startNanos() - closedAt));
            }
            row.record();
            for (Call call : calls) {
                assertTrue(call.isProblem(503, "connection-lost"),
                        "an in-flight call on the closed connection is answered 503 connection-lost: " + call);
                assertEquals("5", call.retryAfter(), "Retry-After of " + call);
                assertTrue(call.endNanos() - closing > 0, "answered before the connection was closed: " + call);
                long afterClose = millis(call.endNanos() - closedAt);
                assertTrue(afterClose < AT_ONCE_MILLIS, "answered " + afterClose
                        + " ms after close_connection returned, not at once: " + call);
            }
            for (Call call : after.subList(0, after.size() - 1)) {
                assertEquals("5", call.retryAfter(), "Retry-After of " + call);
            }
            assertTrue(next.right(), "a call after the close is answered right, after only 503 broker-unavailable "
                    + "or no-server: " + after);
            long recovered = millis(next.endNanos() - closedAt);
            assertTrue(recovered < RECOVERY_MILLIS, "the first right answer after the close came " + recovered
                    + " ms after close_connection returned, not within a second: " + after);
        }
    }

    /** The 503s the README allows while the gateway listens for replies again after the close. */
    private static boolean isComingBack(Call call) {
        return call.isProblem(503, "broker-unavailable") || call.isProblem(503, "no-server");
    }

    private static String problems(List<Call> calls) {
        Map<String, Long> seen = new TreeMap<>();
        calls.forEach(call -> seen.merge(call.right() ? "200" : call.status() + " " + (call.problemJson()
                ? call.problemType().substring(call.problemType().lastIndexOf(':') + 1) : call.body()), 1L, Long::sum));
        return seen.entrySet().stream().map(entry -> entry.getKey() + " x " + entry.getValue())
                .reduce((a, b) -> a + ", " + b).orElse("none");
    }

    private static String describe(List<Call> calls, long closedAt) {
        return calls.stream().map(call -> "  " + millis(call.endNanos() - closedAt) + " ms after: " + call
                        + " (Retry-After " + call.retryAfter() + ")")
                .reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
