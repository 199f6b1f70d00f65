package io.fibonaccirpc.gateway;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SharedApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.fibonaccirpc.support.Http.contentType;
import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End to end: HTTP -> client route -> rpc_queue -> server route -> reply, on the real broker and a real port. */
class FibonacciGatewayTest {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final FaultReport REPORT = FaultReport.of(FibonacciGatewayTest.class);

    @RegisterExtension
    static final SharedApplication application = SharedApplication.isolated();

    /** The queue of the tests that start a gateway of their own. */
    private final String queue = application.ownQueue();

    @Test
    void answers_small_n_with_the_decimal_value_as_text() {
        HttpResponse<String> response = get(application.uri("/fib/30"));

        assertEquals(200, response.statusCode());
        assertTrue(contentType(response).startsWith("text/plain"), contentType(response));
        assertEquals("832040", response.body());
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 2, 92, 93, 1000, 10_000, 100_000 })
    void answers_exactly_for_small_and_large_n(int n) {
        HttpResponse<String> response = get(application.uri("/fib/" + n));

        assertEquals(200, response.statusCode());
        assertEquals(FIBONACCI.of(n).toString(), response.body());
    }

    @Test
    void answers_json_when_the_caller_accepts_json() {
        HttpResponse<String> response = get(application.uri("/fib/30"), "Accept", "application/json");

        assertEquals(200, response.statusCode());
        assertEquals("application/json", contentType(response));
        assertEquals(Map.of("n", 30, "fibonacci", "832040"), json(response.body()));
    }

    @Test
    void answers_the_largest_value_as_a_json_string() {
        HttpResponse<String> response = get(application.uri("/fib/100000"), "Accept", "application/json");

        assertEquals(200, response.statusCode());
        assertEquals(FIBONACCI.of(100_000).toString(), json(response.body()).get("fibonacci"));
    }

    /** Not a decimal integer: invalid-argument; a decimal integer outside 0 to FIBONACCI_MAX_N: out-of-range. */
    @ParameterizedTest
    @CsvSource({ "abc, invalid-argument", "-1, out-of-range", "100001, out-of-range", "1.5, invalid-argument",
            "99999999999999999999, out-of-range", "%20, invalid-argument", "0x10, invalid-argument" })
    void refuses_a_bad_n_with_400_problem_json_of_its_kind(String n, String kind) {
        HttpResponse<String> response = get(application.uri("/fib/" + n));
        REPORT.row("bad n: " + n)
                .injected("GET /fib/" + n)
                .http(response.statusCode())
                .wrong(response.statusCode() == 200 ? 1 : 0)
                .callersSaw(response.statusCode() + " " + contentType(response) + " " + response.body())
                .record();

        assertEquals(400, response.statusCode());
        assertEquals("application/problem+json", contentType(response));
        Map<String, Object> problem = json(response.body());
        assertEquals(400, problem.get("status"));
        assertEquals("Invalid n", problem.get("title"));
        assertEquals("urn:fibonacci-rpc:problem:" + kind, problem.get("type"), problem.toString());
        assertTrue(((String) problem.get("detail")).contains("0 to 100000"), problem.toString());
    }

    @Test
    void answers_405_to_methods_other_than_get() throws Exception {
        java.net.http.HttpRequest post = java.net.http.HttpRequest.newBuilder(application.uri("/fib/30"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("30")).build();
        HttpResponse<String> response = java.net.http.HttpClient.newHttpClient()
                .send(post, HttpResponse.BodyHandlers.ofString());

        assertEquals(405, response.statusCode());
    }

    @Test
    void java_code_calls_the_rpc_through_the_direct_endpoint() {
        ProducerTemplate template = application.camelContext().createProducerTemplate();

        assertEquals("55", template.requestBody("direct:fibonacci-client", 10, String.class));
        assertEquals(FIBONACCI.of(5000).toString(), template.requestBody("direct:fibonacci-client", "5000", String.class));
    }

    @Test
    void java_code_gets_the_server_error_reply_as_an_exception() {
        ProducerTemplate template = application.camelContext().createProducerTemplate();

        CamelExecutionException e = assertThrows(CamelExecutionException.class,
                () -> template.requestBody("direct:fibonacci-client", "not a number", String.class));
        RpcException rpc = assertInstanceOf(RpcException.class, e.getCause());
        assertEquals(RpcError.INVALID_ARGUMENT, rpc.getError());
        assertTrue(rpc.isRemote());
    }

    @Test
    void http_request_headers_do_not_come_back_in_the_response() {
        HttpResponse<String> response = get(application.uri("/fib/12"),
                "Authorization", "Bearer secret", "X-Custom", "leak?", "Cookie", "a=b");
        REPORT.row("hostile HTTP headers: credentials")
                .injected("GET /fib/12 with Authorization, Cookie and X-Custom headers")
                .http(response.statusCode())
                .wrong(response.statusCode() == 200 && !"144".equals(response.body()) ? 1 : 0)
                .callersSaw(response.statusCode() + " " + response.body() + "; response headers: "
                        + response.headers().map().keySet())
                .record();

        assertEquals(200, response.statusCode());
        assertEquals("144", response.body());
        assertTrue(response.headers().firstValue("Authorization").isEmpty(), response.headers().toString());
        assertTrue(response.headers().firstValue("X-Custom").isEmpty(), response.headers().toString());
        assertTrue(response.headers().firstValue("Cookie").isEmpty(), response.headers().toString());
    }

    /** A server that takes the request and never replies: the caller waits the configured timeout, not 5 s. */
    @Test
    void replies_504_when_no_server_answers_in_time_and_records_the_failure() throws Exception {
        try (SilentServer silent = SilentServer.on(queue);
             RunningApplication gateway = startGateway(queue, "rpc.reply-timeout", "1500")) {
            TimedCall call = TimedCall.of(gateway.uri("/fib/7"));
            HttpResponse<String> response = call.response();
            Duration waited = call.waited();

            assertEquals(504, response.statusCode());
            assertEquals("application/problem+json", contentType(response));
            Map<String, Object> problem = json(response.body());
            assertEquals(504, problem.get("status"));
            assertEquals("urn:fibonacci-rpc:problem:reply-timeout", problem.get("type"));
            assertNotNull(problem.get("correlationId"));
            assertTrue(waited.toMillis() >= 1400 && waited.toMillis() < 4500, "waited " + waited);

            // the request carried the caller's deadline: its expiration and the rpc-deadline header
            var request = silent.received().get(0).getProperties();
            assertEquals("1500", request.getExpiration());
            assertEquals(problem.get("correlationId"), request.getCorrelationId());
            assertNotNull(request.getHeaders().get("rpc-deadline"));

            // the failure is recorded for operators: the problem JSON, its type as the reason
            await().atMost(Duration.ofSeconds(10)).until(() -> TestBroker.get().queueDepth(gateway.deadLetterQueue()) == 1);
            try (var connection = TestBroker.get().connect(); var channel = connection.createChannel()) {
                var record = channel.basicGet(gateway.deadLetterQueue(), true);
                assertEquals("urn:fibonacci-rpc:problem:reply-timeout",
                        record.getProps().getHeaders().get("rpc-error-reason").toString());
                assertEquals(problem.get("correlationId"), record.getProps().getCorrelationId());
                assertEquals(problem, json(new String(record.getBody(), java.nio.charset.StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void replies_503_at_once_when_the_queue_does_not_exist() {
        try (RunningApplication gateway = startGateway(queue)) {
            TimedCall call = TimedCall.of(gateway.uri("/fib/7"));
            HttpResponse<String> response = call.response();
            Duration waited = call.waited();

            assertEquals(503, response.statusCode());
            Map<String, Object> problem = json(response.body());
            assertEquals("urn:fibonacci-rpc:problem:no-queue", problem.get("type"));
            assertTrue(((String) problem.get("detail")).contains(queue), problem.toString());
            assertEquals("5", response.headers().firstValue("Retry-After").orElse(null), "Retry-After");
            assertTrue(waited.toMillis() < 1000, "in well under the reply timeout, waited " + waited);
        }
    }

    @Test
    void replies_503_at_once_when_no_server_consumes_the_queue_and_publishes_nothing() {
        declareQueue(queue);
        try (RunningApplication gateway = startGateway(queue)) {
            TimedCall call = TimedCall.of(gateway.uri("/fib/7"));
            HttpResponse<String> response = call.response();
            Duration waited = call.waited();

            assertEquals(503, response.statusCode());
            Map<String, Object> problem = json(response.body());
            assertEquals("urn:fibonacci-rpc:problem:no-server", problem.get("type"));
            assertEquals("5", response.headers().firstValue("Retry-After").orElse(null), "Retry-After");
            assertTrue(waited.toMillis() < 1000, "in well under the reply timeout, waited " + waited);
            assertEquals(0, TestBroker.get().queueDepth(queue), "nothing waits to be computed for nobody");
            assertEquals(0, TestBroker.get().queueDepth(gateway.deadLetterQueue()), "nothing was published");
        }
    }

    @Test
    void a_bad_n_is_refused_before_anything_is_published() {
        declareQueue(queue);
        try (RunningApplication gateway = startGateway(queue)) {
            HttpResponse<String> notANumber = get(gateway.uri("/fib/nope"));
            HttpResponse<String> tooLarge = get(gateway.uri("/fib/100001"));
            REPORT.row("bad n: nothing published")
                    .injected("GET /fib/nope and /fib/100001 to a gateway whose queue no server consumes")
                    .http(notANumber.statusCode())
                    .http(tooLarge.statusCode())
                    .stale(TestBroker.get().queueDepth(queue), "requests published to the queue")
                    .callersSaw(notANumber.statusCode() + ", " + tooLarge.statusCode() + "; failures recorded in the "
                            + "dead-letter queue: " + TestBroker.get().queueDepth(gateway.deadLetterQueue()))
                    .record();
            assertEquals(400, notANumber.statusCode());
            assertEquals(400, tooLarge.statusCode());

            assertEquals(0, TestBroker.get().queueDepth(queue));
            assertEquals(0, TestBroker.get().queueDepth(gateway.deadLetterQueue()), "nothing recorded as a failure");
        }
    }

    /** The component creates its reply listener lazily, without a lock; the application creates it at start. */
    @Test
    void a_burst_of_first_calls_on_a_fresh_gateway_all_succeed() throws Exception {
        try (RunningApplication fresh = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, 40)
                    .mapToObj(i -> client.sendAsync(java.net.http.HttpRequest.newBuilder(fresh.uri("/fib/" + i)).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();

            for (int i = 0; i < calls.size(); i++) {
                HttpResponse<String> response = calls.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(FIBONACCI.of(i).toString(), response.body());
            }
        }
    }

    /** A gateway only (no server route) on a queue of its own, with these property overrides. */
    private static RunningApplication startGateway(String queue, String... overrides) {
        Map<String, String> properties = new HashMap<>(RunningApplication.isolatedProperties(queue));
        properties.put("rpc.role", "gateway");
        for (int i = 0; i < overrides.length; i += 2) {
            properties.put(overrides[i], overrides[i + 1]);
        }
        return RunningApplication.start(properties);
    }

    /** A call and how long its caller waited. */
    private record TimedCall(HttpResponse<String> response, Duration waited) {
        static TimedCall of(java.net.URI uri) {
            long started = System.nanoTime();
            HttpResponse<String> response = get(uri);
            return new TimedCall(response, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static void declareQueue(String queue) {
        try (var connection = TestBroker.get().connect(); var channel = connection.createChannel()) {
            channel.queueDeclare(queue, true, false, false, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
