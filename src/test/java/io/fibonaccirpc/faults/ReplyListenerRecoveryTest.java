package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream.Tally;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker closes the gateway's connection, twice in a row, under a steady stream of calls to a quick server: the
 * gateway takes a new connection and declares its reply queue again, and publishes nothing until that queue's
 * consumer is back, so no call waits for a reply that lands in a queue nobody reads (504 after the reply timeout). Within 2 s the
 * calls are answered right again.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReplyListenerRecoveryTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final long RECOVERY_GOAL_MILLIS = 2000;

    @Test
    void after_its_connection_is_closed_no_call_waits_for_its_timeout_and_answers_are_right_within_2_s() {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties);
             CallStream stream = CallStream.to(gateway.uri("/")).interval(Duration.ofMillis(20)).concurrency(20)
                     .requestTimeout(Duration.ofSeconds(10)).maxDuration(Duration.ofSeconds(60)).start()) {
            await("calls answered before the fault").atMost(Duration.ofSeconds(20))
                    .until(() -> stream.count(Call::right) >= 50);

            // twice in a row: Spring restarts a lost consumer at most once per 5 s unless told otherwise
            assertEquals(1, broker.closeConnectionsMatching("fibonacci-rpc gateway", "fault test: connection closed"));
            long firstClose = System.nanoTime();
            await("a right answer after the first close").atMost(Duration.ofSeconds(20))
                    .until(() -> stream.count(call -> call.startedAfter(firstClose) && call.right()) >= 1);
            assertEquals(1, broker.closeConnectionsMatching("fibonacci-rpc gateway", "fault test: connection closed"));
            long closed = System.nanoTime();
            await("calls answered after the fault").atMost(Duration.ofSeconds(30))
                    .until(() -> stream.count(call -> call.startedAfter(closed) && call.right()) >= 150);
            Tally all = stream.stop();

            Tally after = all.where(call -> call.startedAfter(firstClose - TimeUnit.SECONDS.toNanos(2)));
            long firstRight = after.matching(call -> call.startedAfter(closed) && call.right()).stream()
                    .mapToLong(call -> TimeUnit.NANOSECONDS.toMillis(call.startNanos() - closed)).min().orElse(-1);
            System.out.printf("connection closed: %s; first right answer %d ms after close_connection returned%n",
                    after.summary(), firstRight);
            assertEquals(0, all.wrong(), "wrong answers: " + all.matching(Call::wrong));
            assertEquals(0, all.lost(), "calls with no answer: " + all.matching(call -> !call.answered()));
            List<Call> timedOut = all.matching(call -> call.status() == 504);
            assertEquals(List.of(), timedOut, "calls that waited for the reply timeout");
            List<Call> unexpected = after.matching(call -> !call.right() && !(call.status() == 503
                    && call.problemJson()
                    && (call.body().contains("connection-lost") || call.body().contains("broker-unavailable"))));
            assertEquals(List.of(), unexpected, "every other call is right, or 503 connection-lost or "
                    + "broker-unavailable");
            assertTrue(firstRight >= 0 && firstRight <= RECOVERY_GOAL_MILLIS, "answered right again within "
                    + RECOVERY_GOAL_MILLIS + " ms: " + firstRight + " ms");
        }
    }
}
