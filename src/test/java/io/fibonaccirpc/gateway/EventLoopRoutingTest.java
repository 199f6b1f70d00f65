package io.fibonaccirpc.gateway;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
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
 * answers. The thread a call was routed on is the one that sent it to {@code direct:fibonacci-client}, as Camel's
 * exchange-sending event tells it.
 */
class EventLoopRoutingTest {

    private static final String WORKER_PREFIX = "vert.x-worker-thread";
    private static final String EVENT_LOOP_PREFIX = "vert.x-eventloop-thread";
    private static final String RPC_ENDPOINT = "direct://fibonacci-client";
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
            RoutingThreads routing = RoutingThreads.of(application.camelContext());
            assertFalse(availability.mayRunOnEventLoop(), "no look at the queue before the first call");

            // the first call looks for itself, on a worker; from then on the calls keep the look fresh
            assertEquals("832040", get(application.uri("/fib/30")).body());
            assertEquals(List.of(WORKER_PREFIX), routing.takePrefixes(), "the first call was routed on");
            await("a fresh look that found a server").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        get(application.uri("/fib/1"));
                        return availability.mayRunOnEventLoop();
                    });

            routing.takePrefixes();
            for (int i = 0; i < CALLS; i++) {
                HttpResponse<String> response = get(application.uri("/fib/" + (i % 90)));
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(new Fibonacci(Fibonacci.DEFAULT_MAX_N).of(i % 90).toString(), response.body());
            }
            List<String> threads = routing.take();
            assertEquals(CALLS, threads.size(), "calls routed: " + threads);
            assertEquals(List.of(), threads.stream().filter(thread -> !thread.startsWith(EVENT_LOOP_PREFIX)).toList(),
                    "calls routed elsewhere than on the event loop, of " + CALLS);

            // no server: once the last look is older than the check interval (or found none), a call runs on a
            // worker, looks for itself and is refused at once
            application.camelContext().getRouteController().stopRoute("fibonacci-server");
            await("the last look is no longer fresh").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20)).until(() -> !availability.mayRunOnEventLoop());
            routing.takePrefixes();
            HttpResponse<String> refused = get(application.uri("/fib/30"));
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("urn:fibonacci-rpc:problem:no-server"), refused.body());
            assertEquals(List.of(WORKER_PREFIX), routing.takePrefixes(), "the call with no server known was routed on");
        }
    }

    /**
     * The threads the HTTP route ran on, one per call: the thread that sends each call to
     * {@code direct:fibonacci-client}, told by Camel's exchange-sending event.
     */
    private static final class RoutingThreads extends EventNotifierSupport {

        private final Queue<String> threads = new ConcurrentLinkedQueue<>();

        static RoutingThreads of(CamelContext context) throws Exception {
            RoutingThreads notifier = new RoutingThreads();
            notifier.setIgnoreCamelContextEvents(true);
            notifier.setIgnoreRouteEvents(true);
            notifier.setIgnoreServiceEvents(true);
            notifier.setIgnoreExchangeCreatedEvent(true);
            notifier.setIgnoreExchangeCompletedEvent(true);
            notifier.setIgnoreExchangeFailedEvents(true);
            notifier.setIgnoreExchangeRedeliveryEvents(true);
            notifier.setIgnoreExchangeSentEvents(true);
            notifier.setIgnoreStepEvents(true);
            context.addService(notifier, true, true);
            context.getManagementStrategy().addEventNotifier(notifier);
            return notifier;
        }

        @Override
        public void notify(CamelEvent event) {
            if (event instanceof CamelEvent.ExchangeSendingEvent sending
                    && sending.getEndpoint().getEndpointUri().startsWith(RPC_ENDPOINT)) {
                threads.add(Thread.currentThread().getName());
            }
        }

        /** The threads' names since the last take, in order. */
        List<String> take() {
            List<String> taken = new ArrayList<>();
            for (String name = threads.poll(); name != null; name = threads.poll()) {
                taken.add(name);
            }
            return taken;
        }

        /** The kinds of threads (worker or event loop) since the last take, each once. */
        List<String> takePrefixes() {
            return take().stream().map(name -> name.startsWith(WORKER_PREFIX) ? WORKER_PREFIX
                    : name.startsWith(EVENT_LOOP_PREFIX) ? EVENT_LOOP_PREFIX : name).distinct().toList();
        }
    }
}
