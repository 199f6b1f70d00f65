package io.fibonaccirpc.gateway;

import java.util.Set;
import java.util.stream.Collectors;

import io.fibonaccirpc.FibonacciRpcApplication;
import io.fibonaccirpc.support.TestBroker;
import org.apache.camel.CamelContext;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The real YAML routes and application.properties, loaded by Camel's main test support in the gateway role. */
@CamelMainTest(mainClass = FibonacciRpcApplication.class, properties = {
        "camel.main.routes-include-pattern=" + FibonacciRpcApplication.ALL_ROUTES,
        "rpc.role=gateway",
        "rpc.queue=" + GatewayRouteTest.QUEUE,
        "http.host=127.0.0.1",
        "http.port=0" })
class GatewayRouteTest {

    static final String QUEUE = "rpc_queue.test.client-route";

    static {
        // the test broker may be a container: point the application at it before Camel starts, through JVM
        // properties (the annotation's are constants), cleared once the class is done (they would outrank the
        // properties later tests give their applications)
        TestBroker.get().applicationProperties().forEach(System::setProperty);
    }

    @Produce
    ProducerTemplate template;

    @AfterAll
    static void deleteQueues() {
        TestBroker.get().applicationProperties().keySet().forEach(System::clearProperty);
        TestBroker.get().deleteQueues(QUEUE + ".dead-letters");
    }

    @Test
    void a_gateway_runs_every_route_but_the_server() {
        CamelContext context = template.getCamelContext();

        Set<String> routes = context.getRoutes().stream().map(Route::getRouteId).collect(Collectors.toSet());
        assertEquals(Set.of("fibonacci-gateway", "fibonacci-client", "fibonacci-gateway-dead-letter",
                "fibonacci-gateway-dead-letter-record", "fibonacci-openapi"), routes);
    }

    @Test
    void the_call_waits_the_configured_reply_timeout_not_the_component_default() {
        SpringRabbitMQEndpoint call = template.getCamelContext().getEndpoints().stream()
                .filter(SpringRabbitMQEndpoint.class::isInstance).map(SpringRabbitMQEndpoint.class::cast)
                .filter(endpoint -> QUEUE.equals(endpoint.getRoutingKey()))
                .findFirst().orElseThrow();

        assertEquals(10_000, call.getReplyTimeout(), "rpc.reply-timeout from application.properties");
    }
}
