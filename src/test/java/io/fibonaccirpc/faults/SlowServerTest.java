package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server slower than the reply timeout: its caller gets 504 {@code reply-timeout} after the timeout, and its
 * late reply, which arrives while the next caller waits on the same reply listener, is dropped and counted
 * ({@code fibonacci_rpc_gateway_late_replies_total}), never delivered to that caller.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowServerTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 2000;
    /** The slow call: its reply comes a second after its caller gave up. */
    private static final int SLOW_N = 10;
    private static final Duration SLOW_DELAY = Duration.ofMillis(3000);
    /** The next call: answered in time, a while after the slow call's late reply came back. */
    private static final int NEXT_N = 20;
    private static final Duration NEXT_DELAY = Duration.ofMillis(1500);
    private static final FaultReport REPORT = FaultReport.of(SlowServerTest.class);

    @Test
    void a_server_slower_than_the_timeout_gives_504_and_its_late_reply_reaches_no_other_caller() throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue,
                n -> n == SLOW_N ? SLOW_DELAY : n == NEXT_N ? NEXT_DELAY : Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            Call warmUp = CallStream.call(gateway.uri("/"), 5, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertTrue(warmUp.right(), "before the fault: " + warmUp);
            double lateBefore = lateReplies(gateway);

            Call slow = CallStream.call(gateway.uri("/"), SLOW_N, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            Call next = CallStream.call(gateway.uri("/"), NEXT_N, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            await("the server's reply to the slow call").atMost(Duration.ofSeconds(5))
                    .until(() -> server.replies().stream().anyMatch(reply -> reply.body().equals(
                            CallStream.fibonacci(SLOW_N))));
            RpcServerDouble.Reply late = server.replies().stream()
                    .filter(reply -> reply.body().equals(CallStream.fibonacci(SLOW_N))).findFirst().orElseThrow();
            System.out.printf("slow server: %s%nlate reply sent %d ms before the next call ended%nnext: %s%n", slow,
                    TimeUnit.NANOSECONDS.toMillis(next.endNanos() - late.sentNanos()), next);
            List<Call> all = List.of(warmUp, slow, next);
            // the late reply reached the gateway before the next call's reply: it is counted by now, or very soon
            long lateReplies;
            try {
                lateReplies = Math.round(await("the late reply counted").atMost(Duration.ofSeconds(5))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> lateReplies(gateway), count -> count > lateBefore) - lateBefore);
            } catch (ConditionTimeoutException e) {
                lateReplies = 0;
            }
            REPORT.row("slow server")
                    .injected("a server that replies " + SLOW_DELAY.toMillis() + " ms after the request, reply timeout "
                            + REPLY_TIMEOUT_MILLIS + " ms; the next call waits while the late reply comes back")
                    .calls(all)
                    .stale(server.staleRequests(all).size(), "requests the test-double server received with no "
                            + "caller waiting, or twice")
                    .callersSaw(String.format("the slow call: %d after %d ms; late replies dropped by the gateway: %d; "
                                    + "the next call: %d %s", slow.status(), slow.millis(),
                            lateReplies, next.status(), next.right() ? "with its own value" : "NOT its own value"))
                    .record();

            assertTrue(slow.isProblem(504, "reply-timeout"), "the slow call: " + slow);
            assertTrue(slow.millis() >= REPLY_TIMEOUT_MILLIS, "504 before the reply timeout: " + slow);
            assertTrue(slow.millis() < 2 * REPLY_TIMEOUT_MILLIS, "504 not within twice the reply timeout: " + slow);
            assertEquals(1, lateReplies, "fibonacci_rpc_gateway_late_replies_total went up by the one late reply");
            assertEquals(lateBefore + 1, lateReplies(gateway), "late replies counted once the next call was answered");
            assertTrue(late.sentNanos() - next.startNanos() > 0 && next.endNanos() - late.sentNanos() > 0,
                    "the late reply came back while the next call waited");
            assertEquals(CallStream.fibonacci(NEXT_N), next.body(), "the next caller gets its own answer: " + next);
            assertEquals(200, next.status(), next.toString());
        }
    }

    /** {@code fibonacci_rpc_gateway_late_replies_total}, as {@code /observe/metrics} shows it. */
    private static double lateReplies(RunningApplication gateway) {
        return Scrape.of(gateway.uri("/observe/metrics")).value("fibonacci_rpc_gateway_late_replies_total");
    }
}
