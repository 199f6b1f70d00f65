package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker closes the gateway's connection under it ({@code rabbitmqctl close_connection}) while calls are
 * in flight: those calls fail fast (502 or 503, not a wait for the reply timeout), and the next call
 * succeeds on a new connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionClosedTest extends WithDisposableBroker {

    /** Long, so that a call that waits for it is told apart from one that fails fast. */
    private static final long REPLY_TIMEOUT_MILLIS = 10_000;
    /**
     * The server holds every request this long: the calls are in flight when the connection closes. Finding and
     * closing the connection takes three rabbitmqctl runs, 1.2 to 1.7 s on a 2-CPU machine, so this is well
     * above that and well below the reply timeout.
     */
    private static final Duration SERVER_DELAY = Duration.ofMillis(5000);
    private static final long FAST_FAILURE_MILLIS = 1000;
    private static final int IN_FLIGHT = 5;
    private static final FaultReport REPORT = FaultReport.of(ConnectionClosedTest.class);

    @Test
    void in_flight_calls_fail_fast_when_the_gateway_connection_is_closed_and_the_next_call_succeeds() throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "client", REPLY_TIMEOUT_MILLIS);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> SERVER_DELAY);
             RunningApplication gateway = RunningApplication.start(properties)) {
            Call warmUp = CallStream.call(gateway.uri("/"), 10, Duration.ofSeconds(20)).get(20, TimeUnit.SECONDS);
            assertTrue(warmUp.right(), "before the fault: " + warmUp);
            assertTrue(broker.connectionNames().contains("fibonacci-rpc client"), "the gateway's connection is "
                    + "named fibonacci-rpc client: " + broker.connectionNames());

            List<Integer> ns = IntStream.range(0, IN_FLIGHT).map(i -> 20 + i).boxed().toList();
            List<CompletableFuture<Call>> inFlight = ns.stream()
                    .map(n -> CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(20))).toList();
            await("the server holds the calls").atMost(Duration.ofSeconds(5))
                    .until(() -> broker.queueDepth(queue) == 0
                            && server.receivedBodies().containsAll(ns.stream().map(String::valueOf).toList()));

            long closing = System.nanoTime();
            int closed = broker.closeConnectionsMatching("fibonacci-rpc client", "fault test: connection closed");
            long closedAt = System.nanoTime();
            List<Call> calls = inFlight.stream().map(CompletableFuture::join).toList();
            Call next = CallStream.call(gateway.uri("/"), 40, Duration.ofSeconds(20)).get(20, TimeUnit.SECONDS);

            System.out.printf("connection closed (%d connections; rabbitmqctl list and close took %d ms); in-flight "
                            + "calls, ended after close_connection returned:%n%s%nnext call: %s%n", closed,
                    TimeUnit.NANOSECONDS.toMillis(closedAt - closing),
                    calls.stream().map(call -> "  " + TimeUnit.NANOSECONDS.toMillis(call.endNanos() - closedAt)
                            + " ms after: " + call).reduce((a, b) -> a + "\n" + b).orElse(""), next);
            List<Call> all = new ArrayList<>(List.of(warmUp));
            all.addAll(calls);
            all.add(next);
            long lastEnded = calls.stream()
                    .mapToLong(call -> TimeUnit.NANOSECONDS.toMillis(call.endNanos() - closedAt)).max().orElse(0);
            FaultReport.Row row = REPORT.row("connection closed")
                    .injected("rabbitmqctl close_connection of the gateway's connection under " + IN_FLIGHT
                            + " calls in flight (server holds each " + SERVER_DELAY.toMillis() + " ms, reply timeout "
                            + REPLY_TIMEOUT_MILLIS + " ms)")
                    .calls(all)
                    .stale(server.staleRequests(all).size(), "requests the test-double server received with no "
                            + "caller waiting, or twice")
                    .callersSaw(String.format("in flight: %s, the last %d ms %s close_connection returned; the "
                                    + "next call: %d", FaultReport.statuses(new CallStream.Tally(calls, 0)),
                            Math.abs(lastEnded), lastEnded < 0 ? "before" : "after", next.status()));
            if (next.right()) {
                row.recoveredAfter(TimeUnit.NANOSECONDS.toMillis(next.startNanos() - closedAt));
            }
            row.record();
            assertEquals(1, closed, "connections named fibonacci-rpc client");
            for (Call call : calls) {
                assertTrue(!call.wrong(), "a wrong answer: " + call);
                assertTrue(call.status() == 502 || call.status() == 503,
                        "an in-flight call on the closed connection is answered 502 or 503: " + call);
                assertTrue(call.problemJson(), "a problem: " + call);
                // the connection closed while close_connection ran, at the latest when it returned
                long afterClose = TimeUnit.NANOSECONDS.toMillis(call.endNanos() - closedAt);
                assertTrue(afterClose < FAST_FAILURE_MILLIS, "answered " + afterClose
                        + " ms after the connection was closed, not fast: " + call);
            }
            assertTrue(next.right(), "the next call after the close: " + next);
        }
    }
}
