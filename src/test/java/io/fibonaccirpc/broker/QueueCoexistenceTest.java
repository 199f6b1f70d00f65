package io.fibonaccirpc.broker;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.CapturedLogs;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.support.Tutorial;
import io.fibonaccirpc.tutorial.JavaTutorialServer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our server and a tutorial's (Python's and Java's, their declarations unmodified) on one request queue, in either
 * order: a server of ours started second uses the queue as the tutorial declared it (a WARN names the difference);
 * started first, ours declares it as today's tutorials do (durable, quorum), so that today's tutorial server,
 * started second, declares it without complaint. Either way both serve, and every answer through our gateway is
 * exact.
 */
class QueueCoexistenceTest {

    private static final int CALLS = 30;

    /** A tutorial's server: the Python one as a process, the Java one in this JVM. */
    enum TutorialServer {
        PYTHON, JAVA;

        Running start(String queue, Tutorial.Declaration declaration) throws Exception {
            if (this == PYTHON) {
                Tutorial.Server server = Tutorial.PYTHON.startServer(queue, declaration);
                return new Running(() -> server.output().lines().filter(line -> line.startsWith("fib(")).count(),
                        server::isAlive, server::close);
            }
            JavaTutorialServer server = JavaTutorialServer.start(TestBroker.get().connectionFactory(), queue,
                    JavaTutorialServer.Declaration.valueOf(declaration.name()));
            return new Running(server::served, () -> true, server::close);
        }
    }

    @FunctionalInterface
    interface Closing {
        void close() throws Exception;
    }

    record Running(java.util.function.LongSupplier served, java.util.function.BooleanSupplier alive, Closing closing)
            implements AutoCloseable {
        @Override
        public void close() throws Exception {
            closing.close();
        }
    }

    private final String queue = RunningApplication.newQueueName();
    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private Running tutorial;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (tutorial != null) {
                tutorial.close();
            }
        } finally {
            TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TutorialServer.class)
    void our_server_started_after_the_older_tutorial_server_uses_its_non_durable_classic_queue_and_says_so(
            TutorialServer kind) throws Exception {
        tutorial = kind.start(queue, Tutorial.Declaration.LEGACY);
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

    @ParameterizedTest(name = "{0}")
    @EnumSource(TutorialServer.class)
    void our_server_started_after_todays_tutorial_server_declares_the_same_queue(TutorialServer kind) throws Exception {
        tutorial = kind.start(queue, Tutorial.Declaration.TODAY);
        try (CapturedLogs logs = CapturedLogs.start();
             RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            assertBothServe(ours);
            assertTrue(logs.matching(event -> event.getMessage().getFormattedMessage().contains("exists already")).isEmpty(),
                    () -> "no WARN: the declarations are the same: " + logs.events());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TutorialServer.class)
    void todays_tutorial_server_started_after_ours_declares_the_queue_without_complaint(TutorialServer kind)
            throws Exception {
        try (RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            tutorial = kind.start(queue, Tutorial.Declaration.TODAY);

            assertBothServe(ours);
        }
        assertEquals(Map.of("type", "quorum", "durable", true), QueueTypeTest.queueTypeAndDurability(queue));
    }

    /**
     * The limit, on the tutorial's side: the older tutorial server declares the queue non-durable classic, which
     * the broker refuses once ours declared it durable; the tutorial server ends, ours goes on serving.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TutorialServer.class)
    void the_older_tutorial_server_started_after_ours_is_refused_by_the_broker_and_ours_goes_on(TutorialServer kind) {
        try (RunningApplication ours = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            Throwable refused = assertThrows(Throwable.class,
                    () -> tutorial = kind.start(queue, Tutorial.Declaration.LEGACY));

            assertTrue(causes(refused).contains("PRECONDITION_FAILED"), causes(refused));
            HttpResponse<String> answer = get(ours.uri("/fib/30"));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("832040", answer.body());
        }
    }

    /** Calls one after another through our gateway: all exact, some of them computed by the tutorial's server. */
    private void assertBothServe(RunningApplication ours) {
        int ourConsumers = Integer.parseInt(ours.camelContext().resolvePropertyPlaceholders("{{rpc.server.consumers}}"));
        await("the tutorial's and our consumers on " + queue).atMost(Duration.ofSeconds(10))
                .until(() -> TestBroker.get().consumerCount(queue) == 1 + ourConsumers);
        IntStream.range(0, CALLS).forEach(i -> {
            int n = 20 + i % 10;
            HttpResponse<String> answer = get(ours.uri("/fib/" + n));
            assertEquals(200, answer.statusCode(), () -> "GET /fib/" + n + ": " + answer.body());
            assertEquals(fibonacci.of(n).toString(), answer.body(), "GET /fib/" + n);
        });
        long byTheTutorial = tutorial.served().getAsLong();
        assertTrue(byTheTutorial > 0 && byTheTutorial < CALLS,
                () -> byTheTutorial + " of " + CALLS + " calls computed by the tutorial's server: both should serve");
        assertTrue(tutorial.alive().getAsBoolean(), "the tutorial server is still up");
    }

    private static String causes(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause).append('\n');
        }
        return messages.toString();
    }
}
