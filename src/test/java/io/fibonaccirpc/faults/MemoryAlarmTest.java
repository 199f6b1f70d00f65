package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's memory alarm ({@code set_vm_memory_high_watermark 0.000001}) or disk alarm
 * ({@code set_disk_free_limit} above the disk's free space) blocks every publishing connection: calls meanwhile get
 * 503 at once, not a hang until the reply timeout; once the alarm clears, calls succeed, and none of the requests
 * whose callers already got their 503 is computed afterwards. The requests published in the instant before the
 * gateway knew of the alarm are held in the blocked connection: their callers get 504, and the server drops them
 * uncomputed, past their deadline, when the alarm clears.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MemoryAlarmTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final long FAST_FAILURE_MILLIS = 1000;
    /** n of the calls made during the alarm: no other call uses them, so the server's record tells them apart. */
    private static final List<Integer> DURING_ALARM = IntStream.rangeClosed(1001, 1005).boxed().toList();
    private static final FaultReport REPORT = FaultReport.of(MemoryAlarmTest.class);

    /** A disk free limit far above any disk's free space: the disk alarm at once. */
    private static final String UNREACHABLE_DISK_FREE_LIMIT = "1000000GB";
    /** RabbitMQ's default disk free limit, which clears the alarm. */
    private static final String DEFAULT_DISK_FREE_LIMIT = "50MB";

    @AfterAll
    static void restoreBroker() {
        if (broker != null) {
            broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            broker.rabbitmqctl("set_disk_free_limit", DEFAULT_DISK_FREE_LIMIT);
        }
    }

    @Test
    void calls_get_503_broker_blocked_at_once_during_a_disk_alarm_and_are_answered_after_it() throws Exception {
        String queue = RunningApplication.newQueueName();
        try (RunningApplication application = RunningApplication.start(
                FaultApplications.properties(broker, queue, "all", REPLY_TIMEOUT_MILLIS))) {
            Call before = CallStream.call(application.uri("/"), 30, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertTrue(before.right(), "before the alarm: " + before);
            List<Call> duringAlarm = new ArrayList<>();
            String retryAfter;
            try {
                broker.rabbitmqctl("set_disk_free_limit", UNREACHABLE_DISK_FREE_LIMIT);
                await("the disk alarm").atMost(Duration.ofSeconds(20)).until(() -> broker.alarms().contains("disk"));
                // the alarm is known once the gateway's canary has been refused: at most half a check interval
                await("a call refused as blocked").atMost(Duration.ofSeconds(5)).until(() -> {
                    Call call = CallStream.call(application.uri("/"), 31, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                    return call.status() == 503 && "urn:fibonacci-rpc:problem:broker-blocked".equals(type(call));
                });
                for (int n : DURING_ALARM) {
                    duringAlarm.add(CallStream.call(application.uri("/"), n, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS));
                }
                retryAfter = Http.get(application.uri("/fib/32")).headers().firstValue("Retry-After").orElse(null);
            } finally {
                broker.rabbitmqctl("set_disk_free_limit", DEFAULT_DISK_FREE_LIMIT);
            }
            await("the alarm cleared").atMost(Duration.ofSeconds(20)).until(() -> broker.alarms().isEmpty());
            long cleared = System.nanoTime();
            Call[] after = new Call[1];
            await("a call answered after the alarm").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        after[0] = CallStream.call(application.uri("/"), 40, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                        return after[0].status() == 200;
                    });
            List<Call> all = new ArrayList<>(List.of(before));
            all.addAll(duringAlarm);
            all.add(after[0]);
            REPORT.row("disk alarm")
                    .injected("rabbitmqctl set_disk_free_limit " + UNREACHABLE_DISK_FREE_LIMIT + " (gateway and server "
                            + "in one process), " + DURING_ALARM.size() + " calls once a call was refused, then "
                            + DEFAULT_DISK_FREE_LIMIT + " again")
                    .calls(all)
                    .staleNotObservable("the server's metrics count what it computed, checked below")
                    .recoveredAfter(TimeUnit.NANOSECONDS.toMillis(after[0].startNanos() - cleared))
                    .callersSaw(String.format("during the alarm: %s, in %d ms at most; after it cleared: %s",
                            FaultReport.statuses(new CallStream.Tally(duringAlarm, 0)),
                            duringAlarm.stream().mapToLong(Call::millis).max().orElse(0), after[0]))
                    .record();

            for (Call call : duringAlarm) {
                assertEquals(503, call.status(), "a call during the disk alarm: " + call);
                assertEquals("urn:fibonacci-rpc:problem:broker-blocked", type(call), call.body());
                assertTrue(call.millis() < FAST_FAILURE_MILLIS, "503 in less than " + FAST_FAILURE_MILLIS + " ms: "
                        + call);
            }
            assertEquals("5", retryAfter, "Retry-After of a 503 broker-blocked");
            assertTrue(after[0].right(), "the first call after the alarm: " + after[0]);
            Scrape metrics = Scrape.of(application.uri("/observe/metrics"));
            assertEquals(2, metrics.value("fibonacci_rpc_server_requests_total", "outcome", "ok"),
                    "the server computed the calls before and after the alarm, none of those refused during it");
            assertEquals(0, broker.queueDepth(queue), "requests left in " + queue);
        }
    }

    @Test
    void requests_published_before_the_gateway_knew_of_the_alarm_get_504_and_are_dropped_past_their_deadline()
            throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> serverProperties = FaultApplications.properties(broker, queue, "server", REPLY_TIMEOUT_MILLIS);
        Map<String, String> gatewayProperties = FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS);
        // the gateway looks at the queue and publishes its canary rarely: calls find out about the alarm themselves
        gatewayProperties.put("rpc.server-check-interval", "60000");
        try (RunningApplication server = RunningApplication.start(serverProperties);
             RunningApplication gateway = RunningApplication.start(gatewayProperties)) {
            Call before = CallStream.call(gateway.uri("/"), 30, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertTrue(before.right(), "before the alarm: " + before);

            List<Call> duringAlarm = callsDuringAMemoryAlarm(gateway);
            long held = duringAlarm.stream().filter(call -> call.status() == 504).count();
            // the held requests reach the server once the broker reads the gateway's connection again
            await("the held requests dropped by the server").atMost(Duration.ofSeconds(15))
                    .until(() -> serverCount(server, "expired") >= held);
            Call after = CallStream.call(gateway.uri("/"), 40, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            System.out.printf("memory alarm, the gateway not yet aware: %s; the server: ok %s, expired %s%n",
                    duringAlarm, serverCount(server, "ok"), serverCount(server, "expired"));
            List<Call> all = new ArrayList<>(List.of(before));
            all.addAll(duringAlarm);
            all.add(after);
            REPORT.row("memory alarm not yet known to the gateway")
                    .injected("rabbitmqctl set_vm_memory_high_watermark 0.000001, then " + DURING_ALARM.size()
                            + " calls at once on a gateway whose canary is 30 s apart, the alarm kept until they were "
                            + "answered; reply timeout " + REPLY_TIMEOUT_MILLIS + " ms")
                    .calls(all)
                    .stale(serverCount(server, "ok") - 2, "requests the server computed beyond the calls answered "
                            + "200 (its ok count); besides, " + serverCount(server, "expired") + " held requests "
                            + "dropped uncomputed past their deadline")
                    .callersSaw("during the alarm: " + FaultReport.statuses(new CallStream.Tally(duringAlarm, 0))
                            + "; after it: " + after)
                    .record();

            assertTrue(held >= 1, "the first call published into the blocked connection waits: " + duringAlarm);
            for (Call call : duringAlarm) {
                if (call.status() == 504) {
                    assertEquals("urn:fibonacci-rpc:problem:reply-timeout", type(call), call.body());
                    assertTrue(call.millis() >= REPLY_TIMEOUT_MILLIS, call.toString());
                } else {
                    assertEquals(503, call.status(), "a call during the alarm: " + call);
                    assertEquals("urn:fibonacci-rpc:problem:broker-blocked", type(call), call.body());
                    assertTrue(call.millis() < FAST_FAILURE_MILLIS, call.toString());
                }
            }
            assertTrue(after.right(), "the first call after the alarm: " + after);
            assertEquals(held, serverCount(server, "expired"), "the held requests, dropped past their deadline");
            assertEquals(2, serverCount(server, "ok"), "the server computed the calls before and after the alarm "
                    + "and none of the held ones");
            assertEquals(0, broker.queueDepth(queue), "requests left in " + queue);
        }
    }

    /** The calls of {@link #DURING_ALARM}, made at once during a memory alarm; returns once it has cleared. */
    private static List<Call> callsDuringAMemoryAlarm(RunningApplication gateway) {
        try {
            broker.setMemoryHighWatermark(0.000001);
            await("the memory alarm").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().contains("memory"));
            List<CompletableFuture<Call>> calls = DURING_ALARM.stream()
                    .map(n -> CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(10))).toList();
            return calls.stream().map(CompletableFuture::join).toList();
        } finally {
            broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            await("the alarm cleared").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().isEmpty());
        }
    }

    private static long serverCount(RunningApplication server, String outcome) {
        return (long) Scrape.of(server.uri("/observe/metrics")).value("fibonacci_rpc_server_requests_total",
                "outcome", outcome);
    }

    private static Object type(Call call) {
        return call.problemJson() ? Http.json(call.body()).get("type") : null;
    }

    @Test
    void calls_get_503_fast_while_publishing_is_blocked_and_nothing_stale_is_computed_after() throws Exception {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            Call before = CallStream.call(gateway.uri("/"), 30, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertTrue(before.right(), "before the alarm: " + before);

            List<Call> duringAlarm = callsDuringAMemoryAlarm(gateway);
            long cleared = System.nanoTime();

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
