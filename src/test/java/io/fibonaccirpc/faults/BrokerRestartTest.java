package io.fibonaccirpc.faults;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.observe.RpcCounters;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream.Tally;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker goes away under load and comes back ({@code rabbitmqctl stop_app}, then {@code start_app}) while
 * a stream of HTTP calls runs against a gateway-and-server application: calls during the outage fail fast
 * with 503, the application reconnects by itself, and calls succeed again within seconds; no caller ever
 * gets a wrong answer or no answer.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BrokerRestartTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final int SERVER_CONSUMERS = 2;
    /** A call while the broker is down must end in less than this. */
    private static final long FAST_FAILURE_MILLIS = 1000;
    /** How long the test waits for a right answer after the broker is back, to report what it saw. */
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(20);
    /** The README: right answers again within a second of the broker's return. */
    private static final long PROMISED_RECOVERY_MILLIS = 1000;
    private static final int CALLS_AFTER_RECOVERY = 40;
    private static final FaultReport REPORT = FaultReport.of(BrokerRestartTest.class);

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication application;

    @BeforeEach
    void startApplication() {
        Map<String, String> properties = FaultApplications.properties(broker, queue, "all", REPLY_TIMEOUT_MILLIS);
        properties.put("rpc.server.consumers", Integer.toString(SERVER_CONSUMERS));
        application = RunningApplication.start(properties);
    }

    @AfterEach
    void stopApplication() {
        if (application != null) {
            application.close();
        }
    }

    @Test
    void calls_fail_fast_with_503_while_the_broker_is_down_and_succeed_again_after_it_restarts() {
        restartUnderLoad(false);
    }

    /** A broker that comes back without its data (a new node, a lost disk): the queue must be declared again. */
    @Test
    void the_queue_is_declared_again_when_the_broker_comes_back_empty() {
        restartUnderLoad(true);
    }

    private void restartUnderLoad(boolean wipeData) {
        URI gateway = application.uri("/");
        try (CallStream stream = CallStream.to(gateway).interval(Duration.ofMillis(50)).concurrency(10)
                .requestTimeout(Duration.ofSeconds(15)).maxDuration(Duration.ofSeconds(70)).start()) {
            await("calls answered before the fault").atMost(Duration.ofSeconds(15))
                    .until(() -> stream.count(Call::right) >= 20);

            long stopping = System.nanoTime();
            broker.stopApp();
            long down = System.nanoTime();
            await("calls answered during the outage").atMost(Duration.ofSeconds(20))
                    .until(() -> stream.count(call -> call.startedAfter(down)) >= 20);
            if (wipeData) {
                broker.reset();
            }
            long starting = System.nanoTime();
            broker.startApp();
            long up = System.nanoTime();

            // the start of the first call answered right once the broker was back; now, if none was
            long recovered = awaitRecovery(stream, up).orElse(System.nanoTime());
            Tally all = stream.stop();

            Tally before = all.where(call -> call.endedBefore(stopping));
            Tally atStop = all.where(call -> !call.startedAfter(down) && !call.endedBefore(stopping));
            Tally outage = all.where(call -> call.startedAfter(down) && !call.startedAfter(starting));
            Tally recovering = all.where(call -> call.startedAfter(starting) && !call.startedAfter(recovered));
            Tally after = all.where(call -> call.startedAfter(recovered));
            boolean recoveredInTime = all.count(call -> call.startedAfter(up) && call.right()) > 0;
            long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(recovered - up);
            System.out.printf("broker restart%s: outage %d ms (stop_app %d ms), start_app %d ms; time to recover "
                            + "after start_app: %s%n  all: %s%n  before: %s%n  in flight at stop_app: %s%n"
                            + "  outage: %s%n  recovering: %s%n  after: %s%n",
                    wipeData ? " with data wiped" : "", TimeUnit.NANOSECONDS.toMillis(up - stopping),
                    TimeUnit.NANOSECONDS.toMillis(down - stopping), TimeUnit.NANOSECONDS.toMillis(up - starting),
                    recoveredInTime ? recoveryMillis + " ms" : "none within " + RECOVERY_LIMIT.toSeconds() + " s",
                    all.summary(), before.summary(), atStop.summary(), outage.summary(),
                    recovering.summary(), after.summary());
            RpcCounters counters = application.camelContext().getRegistry()
                    .lookupByNameAndType("rpcCounters", RpcCounters.class);
            FaultReport.Row row = REPORT.row(wipeData ? "broker restart that lost its data" : "broker restart")
                    .injected(String.format("rabbitmqctl stop_app%s under 20 calls/s, start_app %d ms later",
                            wipeData ? ", reset (queues and messages gone)" : "",
                            TimeUnit.NANOSECONDS.toMillis(starting - stopping)))
                    .calls(all)
                    .stale(counters.lateReplies().sum(), "replies that reached the gateway after their caller was "
                            + "answered; besides, " + counters.expiredRequests().sum() + " requests past their "
                            + "deadline dropped uncomputed by the server")
                    .callersSaw(String.format("during the outage: %s, in %d ms at most; in flight at stop_app: %s; "
                                    + "after recovery: %d of %d right", FaultReport.statuses(outage), outage.maxMillis(),
                            FaultReport.statuses(atStop), after.count(Call::right), after.size()));
            if (recoveredInTime) {
                row.recoveredAfter(recoveryMillis);
            } else {
                row.notRecoveredWithin(RECOVERY_LIMIT.toMillis());
            }
            row.record();

            assertTrue(recoveredInTime, "no call was answered right within " + RECOVERY_LIMIT.toSeconds()
                    + " s after the broker was back; what the callers saw since: " + recovering.summary()
                    + "; the last ones: " + lastOf(recovering) + "; " + queue + " holds " + broker.queueDepth(queue)
                    + " (-1: does not exist) and has " + broker.consumerCount(queue) + " consumers");
            assertTrue(recoveryMillis <= PROMISED_RECOVERY_MILLIS, "the first right answer started " + recoveryMillis
                    + " ms after start_app returned, more than the README's second; since: " + recovering.summary());
            assertEquals(0, all.wrong(), "wrong answers: " + all.matching(Call::wrong));
            assertEquals(0, all.lost(), "calls with no answer: " + all.matching(call -> !call.answered()));
            assertTrue(outage.size() >= 10, "calls during the outage: " + outage.summary());
            // a call that started just before start_app may have been answered once the broker was back
            List<Call> notFast503 = outage.matching(call -> !(isBrokerUnavailable(call)
                    && call.millis() < FAST_FAILURE_MILLIS || call.right() && !call.endedBefore(starting)));
            assertEquals(List.of(), notFast503.subList(0, Math.min(5, notFast503.size())), notFast503.size() + " of "
                    + outage.size() + " calls during the outage were not a 503 broker-unavailable problem in less than "
                    + FAST_FAILURE_MILLIS + " ms; the first ones");
            assertEquals(0, atStop.count(call -> call.millis() > REPLY_TIMEOUT_MILLIS + 1000),
                    "calls in flight at stop_app waited past the reply timeout: " + atStop.summary());
            assertEquals(after.size(), after.count(Call::right), "every call after the recovery is answered right: "
                    + after.summary() + "; the others: " + after.matching(call -> !call.right()));
            assertTrue(broker.queueDepth(queue) >= 0, queue + " exists again");
            assertEquals(SERVER_CONSUMERS, broker.consumerCount(queue), "the server consumes " + queue + " again");
        }
    }

    private static OptionalLong awaitRecovery(CallStream stream, long up) {
        try {
            await("a call answered right after the broker is back").atMost(RECOVERY_LIMIT)
                    .until(() -> stream.count(call -> call.startedAfter(up) && call.right()) > 0);
        } catch (ConditionTimeoutException e) {
            return OptionalLong.empty();
        }
        long recovered = stream.finished().stream()
                .filter(call -> call.startedAfter(up) && call.right())
                .mapToLong(Call::startNanos).min().orElseThrow();
        await("calls after recovery").atMost(Duration.ofSeconds(20))
                .until(() -> stream.count(call -> call.startedAfter(recovered)) >= CALLS_AFTER_RECOVERY);
        return OptionalLong.of(recovered);
    }

    private static List<Call> lastOf(Tally tally) {
        List<Call> calls = tally.calls();
        return calls.subList(Math.max(0, calls.size() - 3), calls.size());
    }

    private static boolean isBrokerUnavailable(Call call) {
        if (call.status() != 503 || !call.problemJson()) {
            return false;
        }
        Map<String, Object> problem = Http.json(call.body());
        return Integer.valueOf(503).equals(problem.get("status"))
                && "urn:fibonacci-rpc:problem:broker-unavailable".equals(problem.get("type"));
    }
}
