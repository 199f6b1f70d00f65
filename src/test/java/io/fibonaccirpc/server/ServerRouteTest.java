package io.fibonaccirpc.server;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.fibonaccirpc.FibonacciRpcApplication;
import io.fibonaccirpc.support.Broker;
import io.fibonaccirpc.support.TestBroker;
import org.apache.camel.CamelContext;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The real YAML routes and application.properties, loaded by Camel's main test support in the server role. */
@CamelMainTest(mainClass = FibonacciRpcApplication.class, properties = {
        "camel.main.routes-include-pattern=" + FibonacciRpcApplication.ALL_ROUTES,
        "rpc.role=server",
        "rpc.queue=" + ServerRouteTest.QUEUE,
        "http.host=127.0.0.1",
        "http.port=0" })
class ServerRouteTest {

    static final String QUEUE = "rpc_queue.test.server-route";

    static {
        // the test broker may be a container: point the application at it before Camel starts, through JVM
        // properties (the annotation's are constants), cleared once the class is done (they would outrank the
        // properties later tests give their applications)
        TestBroker.get().applicationProperties().forEach(System::setProperty);
    }

    @Produce
    ProducerTemplate template;

    @AfterAll
    static void deleteQueue() {
        TestBroker.get().applicationProperties().keySet().forEach(System::clearProperty);
        TestBroker.get().deleteQueues(QUEUE, QUEUE + ".dead-letters");
    }

    @Test
    void a_server_runs_only_the_server_route() {
        CamelContext context = template.getCamelContext();

        assertEquals(Set.of("fibonacci-server", "fibonacci-server-dead-letter"),
                context.getRoutes().stream().map(Route::getRouteId).collect(Collectors.toSet()));
        assertNotNull(context.getProcessor("compute-fibonacci"), "the step that computes has its id");
    }

    @Test
    void the_server_declares_rpc_queue_durable_and_consumes_it() throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            // re-declaring with other properties would fail with 406 PRECONDITION_FAILED
            channel.queueDeclare(QUEUE, true, false, false, Broker.SERVER_QUEUE_ARGUMENTS);

            // the listener container starts its consumers one by one, after the route has started
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertEquals(2, channel.queueDeclarePassive(QUEUE).getConsumerCount(), "rpc.server.consumers"));
        }
    }
}
