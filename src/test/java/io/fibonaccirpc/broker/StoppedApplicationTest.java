package io.fibonaccirpc.broker;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;

import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * An application stopped in a JVM that goes on (an embedding one, a test run) leaves nothing behind: the broker
 * lists none of its connections, its HTTP port refuses connections, and the threads of its Vert.x have ended.
 */
class StoppedApplicationTest {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_stopped_application_has_closed_its_broker_connections_its_http_port_and_its_vertx_threads() {
        Set<Thread> threadsBefore = vertxThreads();
        RunningApplication application = RunningApplication.start(RunningApplication.isolatedProperties(queue));
        Set<Integer> ports;
        Set<Thread> threadsOfTheApplication;
        URI call = application.uri("/fib/10");
        try {
            assertEquals("55", Http.get(call).body());
            CachingConnectionFactory connections = application.camelContext().getRegistry()
                    .lookupByNameAndType("rabbitConnectionFactory", CachingConnectionFactory.class);
            // the routes' connection and the gateway's queue probe's
            ports = Set.of(connections.createConnection().getLocalPort(),
                    connections.getPublisherConnectionFactory().createConnection().getLocalPort());
            assertEquals(ports, brokerListed(ports), "the broker lists the application's connections");
            threadsOfTheApplication = new HashSet<>(vertxThreads());
            threadsOfTheApplication.removeAll(threadsBefore);
            assertFalse(threadsOfTheApplication.isEmpty(), "the application runs Vert.x threads");
        } finally {
            application.close();
        }

        await("the broker lists none of the stopped application's connections").atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertEquals(Set.of(), brokerListed(ports)));
        assertThrows(IOException.class, () -> new Socket(call.getHost(), call.getPort()).close(),
                "the HTTP port refuses connections");
        await("the stopped application's Vert.x threads end").atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertEquals(Set.of(), threadsOfTheApplication.stream().filter(Thread::isAlive)
                        .map(Thread::getName).collect(Collectors.toSet())));
    }

    /** Of these local ports, those of a connection the broker lists. */
    private static Set<Integer> brokerListed(Set<Integer> ports) {
        return Rabbitmqctl.forTestBroker().list("list_connections", "peer_port").stream()
                .map(row -> ((Number) row.get("peer_port")).intValue()).filter(ports::contains)
                .collect(Collectors.toSet());
    }

    private static Set<Thread> vertxThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("vert.x-"))
                .collect(Collectors.toSet());
    }
}
