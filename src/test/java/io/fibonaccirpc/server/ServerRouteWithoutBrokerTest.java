package io.fibonaccirpc.server;

import java.util.HashMap;
import java.util.Map;

import io.fibonaccirpc.FibonacciRpcApplication;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcHeaders;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.MessageDeliveryMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server route as it is, with no broker: requests come from {@code direct:rpc-queue} instead of rpc_queue
 * (the exchange a delivery would make: the body, the AMQP properties as CamelSpringRabbitmq* headers, the RPC's
 * own headers), the reply is the exchange as the route leaves it, and the dead-letter queue is a mock endpoint.
 * ServerRouteTest and the fault tests run the same route on the broker.
 */
@CamelMainTest(mainClass = FibonacciRpcApplication.class, properties = {
        "camel.main.routes-include-pattern=" + FibonacciRpcApplication.ALL_ROUTES,
        "rpc.role=server",
        "rabbitmq.port=1",
        "http.host=127.0.0.1",
        "http.port=0",
        "rpc.server.private-reply-queues=false",
        "fibonacci.max-n=1000",
        "rpc.dead-letter-endpoint=mock:dead-letters" },
        replaceRouteFromWith = "fibonacci-server=direct:rpc-queue")
class ServerRouteWithoutBrokerTest {

    private static final String REPLY_TO = "amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAA";

    @Produce
    ProducerTemplate template;

    @EndpointInject("mock:dead-letters")
    MockEndpoint deadLetters;

    @Test
    void a_request_is_answered_with_fib_n_and_none_of_the_requests_properties() throws Exception {
        Exchange reply = request("30", Map.of(SpringRabbitMQConstants.REPLY_TO, REPLY_TO,
                SpringRabbitMQConstants.CORRELATION_ID, "c-1",
                SpringRabbitMQConstants.EXPIRATION, "10000",
                SpringRabbitMQConstants.USER_ID, "gateway",
                RpcHeaders.DEADLINE, Long.toString(System.currentTimeMillis() + 10_000)));

        assertEquals("832040", reply.getMessage().getBody(String.class));
        assertEquals(MessageDeliveryMode.NON_PERSISTENT,
                reply.getMessage().getHeader(SpringRabbitMQConstants.DELIVERY_MODE));
        for (String property : new String[] { SpringRabbitMQConstants.REPLY_TO, SpringRabbitMQConstants.EXPIRATION,
                SpringRabbitMQConstants.USER_ID }) {
            assertNull(reply.getMessage().getHeader(property), property + " is the request's, not the reply's");
        }
        assertNull(reply.getMessage().getHeader(RpcError.HEADER));
        deadLetters.expectedMessageCount(0);
        deadLetters.assertIsSatisfied();
    }

    @Test
    void a_request_that_is_no_number_or_too_large_gets_an_error_reply() {
        Exchange notANumber = request("thirty", Map.of(SpringRabbitMQConstants.REPLY_TO, REPLY_TO));
        assertEquals("INVALID_ARGUMENT", notANumber.getMessage().getHeader(RpcError.HEADER, String.class));
        assertTrue(notANumber.getMessage().getBody(String.class).startsWith("-1 INVALID_ARGUMENT: "));

        Exchange tooLarge = request("1001", Map.of(SpringRabbitMQConstants.REPLY_TO, REPLY_TO));
        assertEquals("OUT_OF_RANGE", tooLarge.getMessage().getHeader(RpcError.HEADER, String.class));
        assertTrue(tooLarge.getMessage().getBody(String.class).startsWith("-1 OUT_OF_RANGE: "),
                tooLarge.getMessage().getBody(String.class));
    }

    @Test
    void a_request_with_no_reply_address_is_dead_lettered_uncomputed_with_its_reason() throws Exception {
        deadLetters.expectedBodiesReceived("30");

        Exchange handled = request("30", Map.of(SpringRabbitMQConstants.CORRELATION_ID, "c-2"));

        assertEquals("30", handled.getMessage().getBody(String.class), "nothing computed");
        deadLetters.assertIsSatisfied();
        Exchange record = deadLetters.getExchanges().get(0);
        assertEquals("c-2", record.getMessage().getHeader(SpringRabbitMQConstants.CORRELATION_ID));
        assertTrue(record.getMessage().getHeader("rpc-error-reason", String.class).endsWith("no-reply-to"),
                record.getMessage().getHeader("rpc-error-reason", String.class));
    }

    @Test
    void a_request_to_a_queue_that_is_no_reply_address_is_dead_lettered_with_that_address() throws Exception {
        deadLetters.expectedMessageCount(1);

        request("30", Map.of(SpringRabbitMQConstants.REPLY_TO, "orders", SpringRabbitMQConstants.CORRELATION_ID, "c-3"));

        deadLetters.assertIsSatisfied();
        assertEquals("orders", deadLetters.getExchanges().get(0).getMessage().getHeader("rpc-reply-to"));
    }

    @Test
    void a_request_past_its_deadline_is_dropped_uncomputed() throws Exception {
        NotifyBuilder done = new NotifyBuilder(template.getCamelContext()).fromRoute("fibonacci-server")
                .whenDone(1).create();

        Exchange handled = request("30", Map.of(SpringRabbitMQConstants.REPLY_TO, REPLY_TO,
                RpcHeaders.DEADLINE, Long.toString(System.currentTimeMillis() - 1)));

        assertTrue(done.matches(), "the route is done with it");
        assertEquals("30", handled.getMessage().getBody(String.class), "nothing computed");
        assertEquals(ExchangePattern.InOnly, handled.getPattern(), "no reply");
        deadLetters.expectedMessageCount(0);
        deadLetters.assertIsSatisfied();
    }

    /** Hands the route a request as a delivery would, with a reply expected when it has a reply_to. */
    private Exchange request(String body, Map<String, Object> headers) {
        return template.send("direct:rpc-queue", exchange -> {
            exchange.setPattern(headers.containsKey(SpringRabbitMQConstants.REPLY_TO) ? ExchangePattern.InOut
                    : ExchangePattern.InOnly);
            exchange.getMessage().setBody(body);
            exchange.getMessage().setHeaders(new HashMap<>(headers));
        });
    }
}
