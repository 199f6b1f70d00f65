package io.fibonaccirpc;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.fibonaccirpc.support.CapturedLogs;
import io.fibonaccirpc.support.Tutorial;
import io.fibonaccirpc.support.Tutorial.Declaration;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our server and the tutorial's (Python, its declarations unmodified) on one request queue, in either order: a
 * server of ours started second uses the queue as the tutorial declared it (a WARN names the difference); started
 * first, ours declares it as today's tutorial does (durable, quorum), so that today's tutorial server, started
 * second, declares it without complaint. Either way both serve, and every answer through our gateway is exact.
 */
class QueueCoexistenceTest {

    private static final int CALLS = 30;

    private final String queue = RunningApplication.newQueueName();
    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private Tutorial.Server tutorial;

    @AfterEach
    void tearDown() {
        try {
            if (tutorial != null) {
                tutorial.close();
            }
        } finally {
            TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
        }
    }

    @Test
    void our_server_started_after_the_older_tutorial_server_uses_its_non_durable_classic_queue_and_says_so() {
        tutorial = Tutorial.PYTHON.startServer(queue, Declaration.LEGACY);
        try (CapturedLogs logs = CapturedLogs.start();
             RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            assertBothServe(ours);
            List<LogEvent> warnings = logs.matching(event -> event.getLevel() == Level.WARN
                    && event.getMessage().getFormattedMessage().contains("Queue " + queue + " exists already"));
            assertEquals(1, warnings.size(), () -> "one WARN about " + queue + ": " + logs.events());
            String warning = warnings.get(0).getMessage().getFormattedMessage();
            assertTrue(warning.contains("inequivalent arg 'durable'"), warning);
        }
        assertEquals(Map.of("type", "classic", "durable", false), QueueTypeTest.queueTypeAndDurability(queue),
                "the queue as the tutorial declared it");
    }

    @Test
    void our_server_started_after_todays_tutorial_server_declares_the_same_queue() {
        tutorial = Tutorial.PYTHON.startServer(queue, Declaration.TODAY);
        try (CapturedLogs logs = CapturedLogs.start();
             RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            assertBothServe(ours);
            assertTrue(logs.matching(event -> event.getMessage().getFormattedMessage().contains("exists already")).isEmpty(),
                    () -> "no WARN: the declarations are the same: " + logs.events());
        }
    }

    @Test
    void todays_tutorial_server_started_after_ours_declares_the_queue_without_complaint() {
        try (RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            tutorial = Tutorial.PYTHON.startServer(queue, Declaration.TODAY);

            assertBothServe(ours);
        }
        assertEquals(Map.of("type", "quorum", "durable", true), QueueTypeTest.queueTypeAndDurability(queue));
    }

    /**
     * The limit, on the tutorial's side: the older tutorial server declares the queue non-durable classic, which
     * the broker refuses once ours declared it durable; the tutorial server ends, ours goes on serving.
     */
    @Test
    void the_older_tutorial_server_started_after_ours_is_refused_by_the_broker_and_ours_goes_on() {
        try (RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            AssertionError refused = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                    () -> tutorial = Tutorial.PYTHON.startServer(queue, Declaration.LEGACY));

            assertTrue(refused.getMessage().contains("PRECONDITION_FAILED"), refused.getMessage());
            HttpResponse<String> answer = get(ours.uri("/fib/30"));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("832040", answer.body());
        }
    }

    /** Calls one after another through our gateway: all exact, some of them computed by the tutorial's server. */
    private void assertBothServe(RunningApplication ours) {
        await("the tutorial's and our consumers on " + queue).atMost(Duration.ofSeconds(10))
                .until(() -> TestBroker.get().consumerCount(queue) == 1 + Integer.parseInt(ours.camelContext().resolvePropertyPlaceholders("{{rpc.server.consumers}}")));
        IntStream.range(0, CALLS).forEach(i -> {
            int n = 20 + i % 10;
            HttpResponse<String> answer = get(ours.uri("/fib/" + n));
            assertEquals(200, answer.statusCode(), () -> "GET /fib/" + n + ": " + answer.body());
            assertEquals(fibonacci.of(n).toString(), answer.body(), "GET /fib/" + n);
        });
        long byTheTutorial = tutorial.output().lines().filter(line -> line.startsWith("fib(")).count();
        assertTrue(byTheTutorial > 0 && byTheTutorial < CALLS,
                () -> byTheTutorial + " of " + CALLS + " calls computed by the tutorial's server: both should serve");
        assertTrue(tutorial.isAlive(), "the tutorial server is still up");
    }
}
