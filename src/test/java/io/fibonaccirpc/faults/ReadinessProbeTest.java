package io.fibonaccirpc.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The readiness probe goes by what the connection factory last reported and never talks to the broker itself: it
 * answers within a second while the broker answers nothing (its VM paused, SIGSTOP), answers 503 DOWN within a
 * second each time while the broker is stopped, and stays UP through a memory alarm, while calls get 503
 * broker-blocked.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadinessProbeTest extends WithDisposableBroker {

    private static final long AT_ONCE_MILLIS = 1000;
    private static final int PROBES = 10;

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication application;
    private boolean paused;
    private boolean stopped;

    @AfterEach
    void restore() {
        if (paused) {
            broker.resume();
        }
        if (stopped) {
            broker.startApp();
        }
        broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
        if (application != null) {
            application.close();
        }
        broker.deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void readiness_answers_within_a_second_while_the_broker_is_paused_and_answers_nothing() {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "all", 3000));
        awaitReady();

        broker.pause();
        paused = true;
        List<Probe> probes = probe();
        System.out.println("readiness while the broker is paused: " + probes);
        for (Probe probe : probes) {
            assertTrue(probe.millis() < AT_ONCE_MILLIS, "answered in under " + AT_ONCE_MILLIS + " ms: " + probe);
            assertTrue(probe.status() == 200 || probe.status() == 503, probe.toString());
        }
    }

    @Test
    void readiness_answers_503_down_within_a_second_each_time_while_the_broker_is_stopped() {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "all", 3000));
        awaitReady();

        broker.stopApp();
        stopped = true;
        await("readiness DOWN").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/observe/health/ready").statusCode() == 503);
        List<Probe> probes = probe();
        System.out.println("readiness while the broker is stopped: " + probes);
        for (Probe probe : probes) {
            assertEquals(503, probe.status(), probe.toString());
            assertEquals("DOWN", Http.json(probe.body()).get("status"), probe.toString());
            assertTrue(probe.body().contains("\"broker\""), probe.toString());
            assertTrue(probe.millis() < AT_ONCE_MILLIS, "answered in under " + AT_ONCE_MILLIS + " ms: " + probe);
        }
    }

    @Test
    void readiness_stays_up_during_a_memory_alarm_while_calls_get_503_broker_blocked() {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "all", 3000));
        awaitReady();
        assertEquals("55", get("/fib/10").body());

        broker.setMemoryHighWatermark(0.000001);
        await("the memory alarm").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().contains("memory"));
        HttpResponse<String> blocked = await("the gateway knows of the alarm").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100)).until(() -> get("/fib/10"), response -> response.statusCode() == 503);
        assertEquals("urn:fibonacci-rpc:problem:broker-blocked", Http.json(blocked.body()).get("type"), blocked.body());

        List<Probe> probes = probe();
        System.out.println("readiness during the memory alarm: " + probes);
        for (Probe probe : probes) {
            assertEquals(200, probe.status(), probe.toString());
            assertEquals("UP", Http.json(probe.body()).get("status"), probe.toString());
        }
        HttpResponse<String> stillBlocked = get("/fib/10");
        assertEquals(503, stillBlocked.statusCode(), "the alarm lasted through the probes: " + stillBlocked.body());
    }

    private record Probe(int status, long millis, String body) {
    }

    /** {@value #PROBES} readiness probes, about 100 ms apart, each timed. */
    private List<Probe> probe() {
        List<Probe> probes = new ArrayList<>();
        await("probes").atMost(Duration.ofSeconds(PROBES * 2L)).pollInterval(Duration.ofMillis(100)).until(() -> {
            long start = System.nanoTime();
            HttpResponse<String> response = get("/observe/health/ready");
            probes.add(new Probe(response.statusCode(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                    response.body()));
            return probes.size() >= PROBES;
        });
        return probes;
    }

    private void awaitReady() {
        await("ready").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> get("/observe/health/ready").statusCode() == 200);
    }

    private HttpResponse<String> get(String path) {
        return Http.get(application.uri(path));
    }
}
