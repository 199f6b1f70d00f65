package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's memory alarm ({@code set_vm_memory_high_watermark 0.000001}) blocks every publishing
 * connection: calls meanwhile get 503 at once, not a hang until the reply timeout; once the alarm clears,
 * calls succeed, and none of the requests whose callers already got their 503 is computed afterwards.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryAlarmTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final long FAST_FAILURE_MILLIS = 1000;
    /** n of the calls made during the alarm: no other call uses them, so the server's record tells them apart. */
    private static final List<Integer> DURING_ALARM = IntStream.rangeClosed(1001, 1005).boxed().toList();
    private static final FaultReport REPORT = FaultReport.of(MemoryAlarmTest.class);

    @AfterAll
    static void restoreBroker() {
        if (broker != null) {
            broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
        }
    }

    @Test
    void calls_get_503_fast_while_publishing_is_blocked_and_nothing_stale_is_computed_after() throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "client", REPLY_TIMEOUT_MILLIS);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            Call before = CallStream.call(gateway.uri("/"), 30, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertTrue(before.right(), "before the alarm: " + before);

            List<Call> duringAlarm;
            long cleared;
            try {
                broker.setMemoryHighWatermark(0.000001);
                await("the memory alarm").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().contains("memory"));
                List<CompletableFuture<Call>> calls = DURING_ALARM.stream()
                        .map(n -> CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(10))).toList();
                duringAlarm = calls.stream().map(CompletableFuture::join).toList();
            } finally {
                broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            }
            await("the alarm cleared").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().isEmpty());
            cleared = System.nanoTime();

            // the first call answered after the alarm: requests published during the alarm went out on the same
            // connection before it, so the server has received any of them by the time it answers this one
            Call[] after = new Call[1];
            List<Call> afterAlarm = new CopyOnWriteArrayList<>();
            await("a call answered after the alarm").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        after[0] = CallStream.call(gateway.uri("/"), 40, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                        afterAlarm.add(after[0]);
                        return after[0].status() == 200;
                    });
            long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(after[0].endNanos() - cleared);
            List<String> stale = server.receivedBodies().stream()
                    .filter(body -> DURING_ALARM.stream().map(String::valueOf).anyMatch(body::equals)).toList();
            System.out.printf("memory alarm: calls during the alarm:%n%s%nfirst call after it: %s (%d ms after the "
                            + "alarm cleared)%nrequests of 503 callers computed afterwards: %s; all requests the "
                            + "server received: %s%n",
                    duringAlarm.stream().map(call -> "  " + call).reduce((a, b) -> a + "\n" + b).orElse(""),
                    after[0], recoveryMillis, stale, server.receivedBodies());
            List<Call> all = new ArrayList<>(List.of(before));
            all.addAll(duringAlarm);
            all.addAll(afterAlarm);
            List<RpcServerDouble.Request> forNobody = server.staleRequests(all);
            long staleRequests = server.requests().stream().filter(request -> forNobody.contains(request)
                    || DURING_ALARM.stream().map(String::valueOf).anyMatch(request.body()::equals)).count();
            REPORT.row("memory alarm")
                    .injected("rabbitmqctl set_vm_memory_high_watermark 0.000001, " + DURING_ALARM.size()
                            + " calls, then the default watermark again")
                    .calls(all)
                    .stale(staleRequests, "requests the test-double server received with no caller waiting, or "
                            + "twice, or at all for a call made during the alarm")
                    .recoveredAfter(TimeUnit.NANOSECONDS.toMillis(after[0].startNanos() - cleared))
                    .callersSaw(String.format("during the alarm: %s, in %d ms at most; after it cleared: %s",
                            FaultReport.statuses(new CallStream.Tally(duringAlarm, 0)),
                            duringAlarm.stream().mapToLong(Call::millis).max().orElse(0),
                            FaultReport.statuses(new CallStream.Tally(afterAlarm, 0))))
                    .record();

            for (Call call : duringAlarm) {
                assertEquals(503, call.status(), "a call during the memory alarm: " + call);
                assertTrue(call.problemJson(), call.toString());
                assertEquals("urn:fibonacci-rpc:problem:broker-blocked", Http.json(call.body()).get("type"),
                        call.body());
                assertTrue(call.millis() < FAST_FAILURE_MILLIS, "503 in less than " + FAST_FAILURE_MILLIS + " ms: "
                        + call);
            }
            assertTrue(after[0].right(), "the first call after the alarm: " + after[0]);
            assertEquals(List.of(), stale, "requests computed after their callers got a 503");
            assertEquals(0, broker.queueDepth(queue), "requests left in " + queue);
        }
    }
}
