package io.fibonaccirpc;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A jar whose routes cannot start exits, with status 1 and the reason in one line, within seconds: a supervisor
 * sees it and can start it again, instead of a process that stays up with nothing running in it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailedStartIT {

    /** From the command to the exit: the JVM's start, Camel's, the broker's refusal. */
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(30);

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_server_whose_queue_is_another_connections_exclusive_queue_exits_with_status_1_saying_why() throws Exception {
        // a queue that exists with other arguments is used as it is (QueueCoexistenceTest); one locked to
        // another connection cannot be used at all
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.queueDeclare(queue, false, true, false, null);
            ApplicationProcess server = ApplicationProcess.launchUnready("failed-start-queue", Map.of("RPC_ROLE", "server",
                    "RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters"));
            assertExitsSaying(server, "RESOURCE_LOCKED");
        }
    }

    @Test
    void an_application_that_cannot_reach_the_broker_at_start_exits_with_status_1_saying_why() throws Exception {
        ApplicationProcess application = ApplicationProcess.launchUnready("failed-start-broker", Map.of(
                "RABBITMQ_PORT", Integer.toString(RunningApplication.freePort()), "RPC_QUEUE", queue,
                "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters"));
        assertExitsSaying(application, "Connection refused");
    }

    @Test
    void an_application_given_a_broker_host_that_does_not_resolve_exits_with_status_1_naming_it() throws Exception {
        ApplicationProcess application = ApplicationProcess.launchUnready("failed-start-host", Map.of(
                "RABBITMQ_HOST", "no-such-broker.invalid", "RPC_QUEUE", queue,
                "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters"));
        assertExitsSaying(application, "no-such-broker.invalid");
    }

    @Test
    void an_application_with_a_wrong_broker_user_or_password_exits_with_status_1_saying_the_login_was_refused()
            throws Exception {
        String wrong = UUID.randomUUID().toString();
        for (Map.Entry<String, String> variable : Map.of("RABBITMQ_USERNAME", wrong, "RABBITMQ_PASSWORD", wrong)
                .entrySet()) {
            ApplicationProcess application = ApplicationProcess.launchUnready("failed-start-login", Map.of(
                    variable.getKey(), variable.getValue(), "RPC_QUEUE", queue,
                    "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters"));
            assertExitsSaying(application, "ACCESS_REFUSED");
        }
    }

    private static void assertExitsSaying(ApplicationProcess application, String reason) throws Exception {
        try {
            long started = System.nanoTime();
            application.processHandle().onExit().get(EXIT_WITHIN.toSeconds(), TimeUnit.SECONDS);
            long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            String reasonLine = application.logTail().lines().filter(line -> line.contains("fibonacci-rpc did not start"))
                    .findFirst().orElse(null);
            System.out.printf("%s exited with status %d after %d ms: %s%n", application.name(),
                    application.exitValue(), exitMillis, reasonLine);
            assertEquals(1, application.exitValue(), application.logTail());
            assertTrue(reasonLine != null && reasonLine.contains(reason), "one line says why, naming '" + reason
                    + "': " + application.logTail());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(application.name() + " was still running " + EXIT_WITHIN.toSeconds()
                    + " s after a start that failed: " + application.logTail(), e);
        } finally {
            application.close();
        }
    }
}
