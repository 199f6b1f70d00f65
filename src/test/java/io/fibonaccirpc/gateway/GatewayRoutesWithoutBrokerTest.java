package io.fibonaccirpc.gateway;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;

import io.fibonaccirpc.FibonacciRpcApplication;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcHeaders;
import org.apache.camel.EndpointInject;
import org.apache.camel.Exchange;
import org.apache.camel.CamelContext;
import org.apache.camel.Produce;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.AmqpReplyTimeoutException;
import org.springframework.amqp.core.Message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's routes as they are, over a real HTTP port, with no broker: the publication of the call
 * ({@code call-rpc-queue}) goes to a stand-in server (a mock endpoint that answers as a server would), the check for
 * a server ({@code check-server-available}) is taken out, and the dead-letter queue is a mock endpoint
 * ({@code rpc.dead-letter-endpoint}). The broker-backed tests (FibonacciGatewayTest and the fault tests) cover the
 * rest.
 */
@CamelMainTest(mainClass = FibonacciRpcApplication.class, properties = {
        "camel.main.routes-include-pattern=" + FibonacciRpcApplication.ALL_ROUTES,
        "rpc.role=gateway",
        "rabbitmq.port=1",
        "http.host=127.0.0.1",
        "rpc.dead-letter-endpoint=mock:dead-letters",
        // the routes start once the call is woven (a RouteBuilder class for the annotation's advices would be
        // found by camel-main's scan of the package and added to every application of the tests)
        "camel.main.auto-startup=false" })
class GatewayRoutesWithoutBrokerTest {

    private static final int PORT = RunningApplication.freePort();

    static {
        // the port is known before Camel starts (the annotation's properties are constants); cleared once done
        System.setProperty("http.port", Integer.toString(PORT));
    }

    @EndpointInject("mock:rpc-queue")
    MockEndpoint rpcQueue;

    @EndpointInject("mock:dead-letters")
    MockEndpoint deadLetters;

    @AfterAll
    static void clearPort() {
        System.clearProperty("http.port");
    }

    @Produce
    ProducerTemplate template;

    /** The call publishes to a mock endpoint instead of rpc_queue, with no check for a server first. */
    @BeforeEach
    void weaveTheCallAndStart() throws Exception {
        CamelContext camel = template.getCamelContext();
        AdviceWith.adviceWith(camel, "fibonacci-client", route -> {
            route.weaveById("check-server-available").remove();
            route.weaveById("call-rpc-queue").replace().to("mock:rpc-queue");
        });
        camel.getRouteController().startAllRoutes();
    }

    @Test
    void a_call_publishes_n_with_a_correlation_id_and_answers_the_servers_value() throws Exception {
        rpcQueue.whenAnyExchangeReceived(this::computeAsAServer);
        rpcQueue.expectedBodiesReceived("30");

        HttpResponse<String> response = Http.get(uri("/fib/30"), "Cookie", "session=secret");

        assertEquals(200, response.statusCode());
        assertEquals("832040", response.body());
        assertEquals("text/plain", Http.contentType(response));
        assertFalse(response.headers().firstValue("Cookie").isPresent(), "request headers are not answered");
        assertTrue(response.headers().firstValue("traceparent").isPresent(), "the call's span");
        rpcQueue.assertIsSatisfied();
        Exchange published = rpcQueue.getExchanges().get(0);
        assertNotNull(published.getMessage().getHeader("CamelSpringRabbitmqCorrelationId"));
        assertEquals(response.headers().firstValue("traceparent").orElseThrow().substring(0, 35),
                published.getMessage().getHeader(RpcHeaders.TRACEPARENT, String.class).substring(0, 35),
                "the request's span is of the call's trace");
        deadLetters.expectedMessageCount(0);
        deadLetters.assertIsSatisfied();
    }

    @Test
    void a_json_caller_gets_n_and_the_value_as_json() {
        rpcQueue.whenAnyExchangeReceived(this::computeAsAServer);

        HttpResponse<String> response = Http.get(uri("/fib/93"), "Accept", "application/json");

        assertEquals(200, response.statusCode());
        assertEquals("application/json", Http.contentType(response));
        assertEquals(Map.of("n", 93, "fibonacci", "12200160415121876738"), Http.json(response.body()));
    }

    @Test
    void a_bad_n_is_a_400_and_nothing_is_published_or_dead_lettered() throws Exception {
        rpcQueue.expectedMessageCount(0);
        deadLetters.expectedMessageCount(0);

        for (String n : new String[] { "abc", "-1", "100001", "1e3" }) {
            HttpResponse<String> response = Http.get(uri("/fib/" + n));
            assertEquals(400, response.statusCode(), n);
            assertEquals(Problem.MEDIA_TYPE, Http.contentType(response), n);
            assertTrue(Http.json(response.body()).get("type").toString().startsWith(Problem.TYPE_PREFIX), n);
        }
        rpcQueue.assertIsSatisfied();
        deadLetters.assertIsSatisfied();
    }

    @Test
    void a_servers_refusal_of_n_is_its_problem_and_no_failure_to_record() throws Exception {
        rpcQueue.whenAnyExchangeReceived(exchange -> replyError(exchange, RpcError.OUT_OF_RANGE, "n must be at most 1000"));
        deadLetters.expectedMessageCount(0);

        HttpResponse<String> response = Http.get(uri("/fib/5000"));

        assertEquals(422, response.statusCode());
        Map<String, Object> problem = Http.json(response.body());
        assertEquals(Problem.TYPE_PREFIX + "out-of-range", problem.get("type"));
        assertEquals("n must be at most 1000", problem.get("detail"));
        deadLetters.assertIsSatisfied();
    }

    @Test
    void a_servers_failure_is_a_502_and_a_record_in_the_dead_letter_queue() throws Exception {
        rpcQueue.whenAnyExchangeReceived(exchange -> replyError(exchange, RpcError.INTERNAL, "the server failed"));
        deadLetters.expectedMessageCount(1);

        HttpResponse<String> response = Http.get(uri("/fib/10"), "Accept", "text/plain");

        assertEquals(502, response.statusCode());
        Map<String, Object> problem = Http.json(response.body());
        assertEquals(Problem.TYPE_PREFIX + "internal", problem.get("type"));
        deadLetters.assertIsSatisfied();
        Exchange record = deadLetters.getExchanges().get(0);
        assertEquals(Problem.TYPE_PREFIX + "internal", record.getMessage().getHeader("rpc-error-reason"));
        assertEquals(problem.get("correlationId"), record.getMessage().getHeader("CamelSpringRabbitmqCorrelationId"));
        assertEquals(Problem.MEDIA_TYPE, record.getMessage().getHeader("CamelSpringRabbitmqContentType"));
        assertNull(record.getMessage().getHeader("Accept"), "the record carries only what the route gives it");
        assertEquals(response.body(), record.getMessage().getBody(String.class), "the problem answered");
    }

    @Test
    void no_reply_in_time_is_a_504_and_a_record_in_the_dead_letter_queue() throws Exception {
        rpcQueue.whenAnyExchangeReceived(exchange -> {
            throw new AmqpReplyTimeoutException("no reply", new Message(new byte[0]));
        });
        deadLetters.expectedMessageCount(1);

        HttpResponse<String> response = Http.get(uri("/fib/10"));

        assertEquals(504, response.statusCode());
        assertEquals(Problem.TYPE_PREFIX + "reply-timeout", Http.json(response.body()).get("type"));
        deadLetters.assertIsSatisfied();
    }

    /** What a server does with a request it refuses or fails: an error reply. */
    private static void replyError(Exchange exchange, RpcError error, String message) {
        exchange.getMessage().setHeader(RpcError.HEADER, error.name());
        exchange.getMessage().setBody(error.replyBody(message));
    }

    /** What a server does with a request: fib(n) of the body as decimal text. */
    private void computeAsAServer(Exchange exchange) {
        int n = Integer.parseInt(exchange.getMessage().getBody(String.class));
        BigInteger value = new Fibonacci(Fibonacci.DEFAULT_MAX_N).of(n);
        exchange.getMessage().setBody(value.toString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + PORT + path);
    }
}
