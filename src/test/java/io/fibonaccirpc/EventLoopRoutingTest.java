package io.fibonaccirpc;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's HTTP route runs on the Vert.x event loop only while nothing on its way can block (the connection
 * open, a fresh look that found a server), and on a worker thread otherwise; either way the caller gets the same
 * answers.
 */
class EventLoopRoutingTest {

    private static final String WORKER_PREFIX = "vert.x-worker-thread";
    private static final int CALLS = 300;

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void calls_run_on_the_event_loop_while_a_server_is_known_and_on_workers_when_it_is_not() throws Exception {
        try (RunningApplication application = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            ServerAvailability availability = application.camelContext().getRegistry()
                    .lookupByNameAndType("serverAvailability", ServerAvailability.class);
            assertFalse(availability.mayRunOnEventLoop(), "no look at the queue before the first call");

            // the first call looks for itself, on a worker; from then on the calls keep the look fresh
            assertEquals("832040", get(application.uri("/fib/30")).body());
            await("a fresh look that found a server").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        get(application.uri("/fib/1"));
                        return availability.mayRunOnEventLoop();
                    });

            long workerCpuBefore = workerCpuNanos();
            for (int i = 0; i < CALLS; i++) {
                HttpResponse<String> response = get(application.uri("/fib/" + (i % 90)));
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(new Fibonacci(Fibonacci.DEFAULT_MAX_N).of(i % 90).toString(), response.body());
            }
            long workerCpu = workerCpuNanos() - workerCpuBefore;
            // a call routed on a worker costs it tens of microseconds; 300 calls at least several milliseconds
            assertTrue(workerCpu < Duration.ofMillis(2).toNanos(), CALLS + " calls cost the Vert.x workers "
                    + workerCpu / 1000 + " us of CPU: they were routed on workers, not on the event loop");

            // no server: once the last look is older than the check interval (or found none), a call runs on a
            // worker, looks for itself and is refused at once
            application.camelContext().getRouteController().stopRoute("fibonacci-server");
            await("the last look is no longer fresh").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20)).until(() -> !availability.mayRunOnEventLoop());
            HttpResponse<String> refused = get(application.uri("/fib/30"));
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("urn:fibonacci-rpc:problem:no-server"), refused.body());
        }
    }

    /** CPU time of this JVM's Vert.x worker threads so far. */
    private static long workerCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return Arrays.stream(threads.dumpAllThreads(false, false))
                .filter(thread -> thread.getThreadName().startsWith(WORKER_PREFIX))
                .mapToLong(thread -> Math.max(0, threads.getThreadCpuTime(thread.getThreadId())))
                .sum();
    }
}
