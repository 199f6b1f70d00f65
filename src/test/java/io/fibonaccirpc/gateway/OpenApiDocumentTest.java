package io.fibonaccirpc.gateway;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.ScriptedReplyServer.Reply;
import io.fibonaccirpc.support.ScriptedReplyServer;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import io.fibonaccirpc.wire.RpcUnavailableException;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.core.AmqpMessageReturnedException;
import org.springframework.amqp.core.AmqpReplyTimeoutException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.ReturnedMessage;

import static io.fibonaccirpc.support.Http.contentType;
import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document the application serves at GET /openapi.yaml: valid OpenAPI 3, and it describes what the
 * application really answers. Real calls to gateways on the real broker (and on a node of the test's own for the
 * broker's faults), each answer validated against the document (status, content type, headers, the JSON body
 * against its schema); and every problem the gateway can map a failure to.
 */
class OpenApiDocumentTest {

    private static final String FIB_PATH = "/fib/{n}";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Statuses that only a published call can end with. */
    private static final Set<Integer> PUBLISHED_ONLY = Set.of(422, 502, 504);

    private static RunningApplication application;
    private static OpenAPI openApi;
    private static OpenApiInteractionValidator validator;

    /** The queue of the tests that start gateways of their own. */
    private final String queue = RunningApplication.newQueueName();
    private final List<AutoCloseable> started = new ArrayList<>();

    @BeforeAll
    static void startApplicationAndReadItsDocument() {
        String queue = RunningApplication.newQueueName();
        application = RunningApplication.start(RunningApplication.isolatedProperties(queue));
        HttpResponse<String> response = get(application.uri("/openapi.yaml"));
        assertEquals(200, response.statusCode(), response.body());
        openApi = parse(response.body());
        validator = OpenApiInteractionValidator.createForInlineApiSpecification(response.body()).build();
    }

    @AfterAll
    static void stopApplication() {
        application.close();
        TestBroker.get().deleteQueues(application.queue(), application.deadLetterQueue());
    }

    @AfterEach
    void stopWhatTheTestStarted() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void the_application_serves_a_valid_openapi_3_document_of_its_paths() {
        HttpResponse<String> response = get(application.uri("/openapi.yaml"));
        assertEquals(200, response.statusCode());
        assertEquals("application/yaml", contentType(response));
        assertDescribed(response);

        assertTrue(openApi.getOpenapi().startsWith("3."), openApi.getOpenapi());
        assertEquals(Set.of(FIB_PATH, "/openapi.yaml"), openApi.getPaths().keySet());
        for (PathItem path : openApi.getPaths().values()) {
            assertEquals(Set.of(PathItem.HttpMethod.GET), path.readOperationsMap().keySet(), "GET only");
        }
        assertTrue(openApi.getInfo().getDescription().contains("Methods other than GET are answered 405"),
                openApi.getInfo().getDescription());
        assertTrue(openApi.getInfo().getDescription().contains("other paths 404"));
        assertEquals(Fibonacci.DEFAULT_MAX_N, largestN(openApi), "the largest n of this gateway");
    }

    @Test
    void a_gateway_describes_its_own_largest_n() {
        Map<String, String> properties = gatewayProperties("fibonacci.max-n", "5000");
        RunningApplication gateway = start(RunningApplication.start(properties));

        assertEquals(5000, largestN(parse(get(gateway.uri("/openapi.yaml")).body())));
        assertEquals(400, get(gateway.uri("/fib/5001")).statusCode());
    }

    @Test
    void the_values_are_described() throws Exception {
        HttpResponse<String> text = assertDescribed(get(application.uri("/fib/30")));
        assertEquals("832040", text.body());
        Schema<?> textSchema = openApi.getPaths().get(FIB_PATH).getGet().getResponses().get("200").getContent()
                .get("text/plain").getSchema();
        assertTrue(text.body().matches(textSchema.getPattern()), "the text value matches " + textSchema.getPattern());

        HttpResponse<String> json = assertDescribed(get(application.uri("/fib/30"), "Accept", "application/json"));
        assertEquals(Map.of("n", 30, "fibonacci", "832040"), JSON.readValue(json.body(), Map.class));
        assertDescribed(get(application.uri("/fib/100000"), "Accept", "application/json"));
        assertDescribed(get(application.uri("/fib/0"), "Accept", "text/plain, application/json"));
    }

    @Test
    void the_refusals_of_a_bad_n_are_described() {
        for (String n : List.of("abc", "-1", "100001", "1.5", "99999999999999999999", "%20")) {
            HttpResponse<String> response = assertDescribed(get(application.uri("/fib/" + n)));
            assertEquals(400, response.statusCode(), n);
        }
    }

    @Test
    void a_request_body_too_large_is_described() throws Exception {
        HttpRequest tooLarge = HttpRequest.newBuilder(application.uri("/fib/30"))
                .method("GET", HttpRequest.BodyPublishers.ofString("0".repeat(70_000))).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(tooLarge, HttpResponse.BodyHandlers.ofString());

        assertEquals(413, assertDescribed(response).statusCode());
    }

    /** The document has only GET; it says that other methods and other paths are answered 405 and 404. */
    @Test
    void other_methods_and_paths_are_answered_as_the_document_says() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")) {
            for (String path : List.of("/fib/30", "/openapi.yaml")) {
                HttpRequest request = HttpRequest.newBuilder(application.uri(path))
                        .method(method, HttpRequest.BodyPublishers.noBody()).build();
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                assertEquals(405, response.statusCode(), method + " " + path);
                assertEquals("", response.body(), method + " " + path);
            }
        }
        for (String path : List.of("/fib", "/fib/1/2", "/openapi.json", "/")) {
            assertEquals(404, get(application.uri(path)).statusCode(), path);
            assertFalse(openApi.getPaths().containsKey(path), path);
        }
    }

    @Test
    void no_queue_and_no_server_are_described() {
        RunningApplication gateway = start(RunningApplication.start(gatewayProperties()));

        HttpResponse<String> noQueue = assertDescribed(get(gateway.uri("/fib/7")));
        assertEquals("urn:fibonacci-rpc:problem:no-queue", problem(noQueue).get("type"));

        TestBroker.get().declareQueue(queue);
        await("503 no-server").atMost(Duration.ofSeconds(5)).until(() ->
                "urn:fibonacci-rpc:problem:no-server".equals(problem(get(gateway.uri("/fib/7"))).get("type")));
        assertDescribed(get(gateway.uri("/fib/7")));
    }

    @Test
    void overload_and_reply_timeout_are_described() throws Exception {
        SilentServer silent = start(SilentServer.on(queue));
        RunningApplication gateway = start(RunningApplication.start(
                gatewayProperties("rpc.max-in-flight", "1", "rpc.reply-timeout", "1500")));

        CompletableFuture<HttpResponse<String>> first = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(gateway.uri("/fib/7")).build(), HttpResponse.BodyHandlers.ofString());
        await("the first call in flight").atMost(Duration.ofSeconds(10)).until(() -> silent.received().size() == 1);
        HttpResponse<String> overloaded = assertDescribed(get(gateway.uri("/fib/8")));
        HttpResponse<String> timedOut = assertDescribed(first.get(30, TimeUnit.SECONDS));

        assertEquals("urn:fibonacci-rpc:problem:overloaded", problem(overloaded).get("type"));
        assertEquals("1", overloaded.headers().firstValue("Retry-After").orElse(""));
        assertEquals("urn:fibonacci-rpc:problem:reply-timeout", problem(timedOut).get("type"));
    }

    @Test
    void a_server_that_refuses_n_as_beyond_its_range_is_described() {
        start(RunningApplication.start(gatewayProperties("rpc.role", "server", "fibonacci.max-n", "1000")));
        RunningApplication gateway = start(RunningApplication.start(gatewayProperties()));

        HttpResponse<String> response = assertDescribed(get(gateway.uri("/fib/5000")));
        assertEquals(422, response.statusCode(), response.body());
    }

    @Test
    void the_error_replies_of_a_faulty_or_foreign_server_are_described() {
        Map<String, Reply> replies = Map.of(
                "1", new Reply("not a number", null),
                "2", new Reply("the server broke", "INTERNAL"),
                "3", new Reply("not a number: 3", "INVALID_ARGUMENT"),
                "4", new Reply("", "SOMETHING_NEW"));
        start(ScriptedReplyServer.on(TestBroker.get(), queue, body -> replies.get(body.strip())));
        RunningApplication gateway = start(RunningApplication.start(gatewayProperties()));

        Map<String, String> types = new HashMap<>();
        for (String n : replies.keySet()) {
            HttpResponse<String> response = assertDescribed(get(gateway.uri("/fib/" + n)));
            types.put(n, response.statusCode() + " " + problem(response).get("type"));
        }
        assertEquals(Map.of(
                "1", "502 urn:fibonacci-rpc:problem:bad-reply",
                "2", "502 urn:fibonacci-rpc:problem:internal",
                "3", "400 urn:fibonacci-rpc:problem:invalid-argument",
                "4", "502 urn:fibonacci-rpc:problem:internal"), types);
    }

    /**
     * The answers of a gateway whose broker fails, on a RabbitMQ node of the test's own: its connection closed under
     * a call in flight (503 connection-lost), a memory alarm (503 broker-blocked), the broker stopped (503
     * broker-unavailable); and of a gateway stopped while a call waits longer than its shutdown timeout (503
     * stopping). Each answer is a real one, validated against the document.
     */
    @Test
    void the_answers_of_a_failing_broker_and_a_stopping_gateway_are_described() throws Exception {
        DisposableBroker broker = start(DisposableBroker.start());
        start(RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ofSeconds(30)));
        Map<String, String> properties = new HashMap<>(gatewayProperties());
        properties.putAll(broker.applicationProperties());
        properties.put("camel.main.shutdown-timeout", "1");
        RunningApplication gateway = RunningApplication.start(properties);
        Map<String, String> types = new TreeMap<>();
        try {
            CompletableFuture<HttpResponse<String>> inFlight = callAsync(gateway.uri("/fib/7"));
            await("the call at the server").atMost(Duration.ofSeconds(10)).until(() -> unacknowledged(broker) == 1);
            broker.closeConnectionsMatching("fibonacci-rpc gateway", "the OpenAPI test closes the gateway's connection");
            types.put("connection closed", typeOf(assertDescribed(inFlight.get(20, TimeUnit.SECONDS))));

            try {
                broker.setMemoryHighWatermark(0.000001);
                await("a call refused as blocked").atMost(Duration.ofSeconds(15)).until(() ->
                        "urn:fibonacci-rpc:problem:broker-blocked".equals(typeOf(get(gateway.uri("/fib/8")))));
                types.put("memory alarm", typeOf(assertDescribed(get(gateway.uri("/fib/8")))));
            } finally {
                broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            }
            await("the alarm cleared").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().isEmpty());

            int held = unacknowledged(broker);
            CompletableFuture<HttpResponse<String>> cutShort = callAsync(gateway.uri("/fib/10"));
            await("the call at the server").atMost(Duration.ofSeconds(10)).until(() -> unacknowledged(broker) > held);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(gateway::close);
            types.put("gateway stopped past its shutdown timeout",
                    typeOf(assertDescribed(cutShort.get(30, TimeUnit.SECONDS))));
            stopping.get(30, TimeUnit.SECONDS);
        } finally {
            gateway.close();
        }

        properties.put("http.port", Integer.toString(RunningApplication.freePort()));
        RunningApplication another = start(RunningApplication.start(properties));
        broker.stopApp();
        try {
            await("a call refused as unavailable").atMost(Duration.ofSeconds(15)).until(() ->
                    "urn:fibonacci-rpc:problem:broker-unavailable".equals(typeOf(get(another.uri("/fib/9")))));
            types.put("broker stopped", typeOf(assertDescribed(get(another.uri("/fib/9")))));
        } finally {
            broker.startApp();
        }

        assertEquals(Map.of(
                "broker stopped", "urn:fibonacci-rpc:problem:broker-unavailable",
                "connection closed", "urn:fibonacci-rpc:problem:connection-lost",
                "gateway stopped past its shutdown timeout", "urn:fibonacci-rpc:problem:stopping",
                "memory alarm", "urn:fibonacci-rpc:problem:broker-blocked"), types);
    }

    private int unacknowledged(DisposableBroker broker) {
        return broker.list("list_queues", "name", "messages_unacknowledged").stream()
                .filter(row -> queue.equals(row.get("name")))
                .mapToInt(row -> ((Number) row.get("messages_unacknowledged")).intValue()).sum();
    }

    private static CompletableFuture<HttpResponse<String>> callAsync(java.net.URI uri) {
        return HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String typeOf(HttpResponse<String> response) {
        return Problem.MEDIA_TYPE.equals(contentType(response)) ? String.valueOf(problem(response).get("type"))
                : response.statusCode() + " " + contentType(response);
    }

    /**
     * Every failure the gateway maps to a problem (Problems), as the dead letter route answers it: the mapping's
     * every outcome is in the document, also one no real call here provokes (500 internal, a failure of the gateway
     * itself). The real answers of each are validated by the tests above.
     */
    @Test
    void every_problem_the_gateway_can_answer_is_described() {
        Problems problems = new Problems(10_000, 2, 500);
        String correlationId = "f3489753-a791-401c-b477-1ded6a68e5e5";
        List<Throwable> failures = new ArrayList<>();
        for (RpcUnavailableException.Reason reason : RpcUnavailableException.Reason.values()) {
            failures.add(new RpcUnavailableException(reason, "the detail"));
        }
        for (RpcError error : RpcError.values()) {
            failures.add(RpcException.fromReply(error.name(), "the server's message"));
            failures.add(new RpcException(error, "the gateway's message"));
        }
        failures.add(new RejectedExecutionException("throttled"));
        failures.add(new AmqpMessageReturnedException("returned", new ReturnedMessage(
                new Message(new byte[0], new MessageProperties()), 312, "NO_ROUTE", "", "rpc_queue")));
        failures.add(new AmqpReplyTimeoutException("timed out", new Message(new byte[0])));
        failures.add(new AmqpConnectException(new java.net.ConnectException("Connection refused")));
        failures.add(new IllegalStateException("something unexpected"));

        Map<Integer, Set<String>> typesByStatus = new HashMap<>();
        for (Throwable failure : failures) {
            for (String id : new String[] { correlationId, null }) {
                Problem problem = problems.of(failure, id);
                if (id == null && PUBLISHED_ONLY.contains(problem.status())) {
                    continue; // a server's answer, or none in time, is about a published request: it has an id
                }
                SimpleResponse.Builder response = SimpleResponse.Builder.status(problem.status())
                        .withContentType(Problem.MEDIA_TYPE)
                        .withBody(toJson(problem.toJson()));
                if (problem.retryAfter() != null) {
                    response.withHeader("Retry-After", problem.retryAfter().toString());
                }
                assertValid(validator.validateResponse("/fib/1", Request.Method.GET, response.build()),
                        failure + " -> " + problem);
                typesByStatus.computeIfAbsent(problem.status(), status -> new TreeSet<>())
                        .add(problem.type().substring(Problem.TYPE_PREFIX.length()));
            }
        }
        assertEquals(Map.of(
                400, Set.of("invalid-argument", "out-of-range"),
                422, Set.of("out-of-range"),
                500, Set.of("internal"),
                502, Set.of("internal", "bad-reply"),
                503, Set.of("no-queue", "no-server", "broker-blocked", "broker-unavailable", "connection-lost",
                        "overloaded", "stopping"),
                504, Set.of("reply-timeout")), typesByStatus, "every status and type the gateway answers");
    }

    /** The validation can fail: answers the document does not describe are reported. */
    @Test
    void an_answer_the_document_does_not_describe_is_reported() {
        Map<String, SimpleResponse> undescribed = Map.of(
                "a status it does not list", SimpleResponse.Builder.status(418).withContentType("text/plain")
                        .withBody("teapot").build(),
                "the value as a JSON number", SimpleResponse.Builder.ok().withContentType("application/json")
                        .withBody("{\"n\": 30, \"fibonacci\": 832040}").build(),
                "a problem type of another status", SimpleResponse.Builder.status(503)
                        .withContentType(Problem.MEDIA_TYPE).withHeader("Retry-After", "5")
                        .withBody("{\"type\": \"urn:fibonacci-rpc:problem:reply-timeout\", \"title\": \"t\", "
                                + "\"status\": 503, \"detail\": \"d\"}").build(),
                "a 503 without Retry-After", SimpleResponse.Builder.status(503).withContentType(Problem.MEDIA_TYPE)
                        .withBody("{\"type\": \"urn:fibonacci-rpc:problem:no-server\", \"title\": \"t\", "
                                + "\"status\": 503, \"detail\": \"d\"}").build(),
                "a 504 without correlationId", SimpleResponse.Builder.status(504).withContentType(Problem.MEDIA_TYPE)
                        .withBody("{\"type\": \"urn:fibonacci-rpc:problem:reply-timeout\", \"title\": \"t\", "
                                + "\"status\": 504, \"detail\": \"d\"}").build(),
                "a problem as plain JSON", SimpleResponse.Builder.status(400).withContentType("application/json")
                        .withBody("{\"type\": \"urn:fibonacci-rpc:problem:out-of-range\", \"title\": \"t\", "
                                + "\"status\": 400, \"detail\": \"d\"}").build());
        undescribed.forEach((what, response) -> assertTrue(
                validator.validateResponse("/fib/30", Request.Method.GET, response).hasErrors(), what));
    }

    /** Validates a real answer to a GET against the document; returns it. */
    private static HttpResponse<String> assertDescribed(HttpResponse<String> response) {
        SimpleResponse.Builder described = SimpleResponse.Builder.status(response.statusCode());
        response.headers().map().forEach(described::withHeader);
        if (!response.body().isEmpty()) {
            described.withBody(response.body());
        }
        assertValid(validator.validateResponse(response.uri().getRawPath(), Request.Method.GET, described.build()),
                "GET " + response.uri() + ": " + response.statusCode() + " " + contentType(response) + " "
                        + abbreviate(response.body()) + " " + response.headers().map());
        return response;
    }

    private static void assertValid(ValidationReport report, String what) {
        assertFalse(report.hasErrors(), what + " is not described by the document: " + report.getMessages().stream()
                .map(OpenApiDocumentTest::describe)
                .collect(Collectors.joining("; ")));
    }

    private static String describe(ValidationReport.Message message) {
        String nested = message.getNestedMessages().stream().map(OpenApiDocumentTest::describe)
                .collect(Collectors.joining("; "));
        return message.getKey() + ": " + message.getMessage()
                + (message.getAdditionalInfo().isEmpty() ? "" : " " + message.getAdditionalInfo())
                + (nested.isEmpty() ? "" : " [" + nested + "]");
    }

    private static OpenAPI parse(String yaml) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIParser().readContents(yaml, null, options);
        assertEquals(List.of(), result.getMessages() == null ? List.of() : result.getMessages(),
                "the document is valid OpenAPI");
        return result.getOpenAPI();
    }

    private static int largestN(OpenAPI document) {
        return document.getPaths().get(FIB_PATH).getGet().getParameters().get(0).getSchema().getMaximum()
                .intValueExact();
    }

    private Map<String, String> gatewayProperties(String... overrides) {
        Map<String, String> properties = new HashMap<>(RunningApplication.isolatedProperties(queue));
        properties.put("rpc.role", "gateway");
        properties.put("http.port", Integer.toString(RunningApplication.freePort()));
        for (int i = 0; i < overrides.length; i += 2) {
            properties.put(overrides[i], overrides[i + 1]);
        }
        return properties;
    }

    private <T extends AutoCloseable> T start(T closeable) {
        started.add(closeable);
        return closeable;
    }

    private static Map<?, ?> problem(HttpResponse<String> response) {
        assertEquals(Problem.MEDIA_TYPE, contentType(response), response.body());
        try {
            return JSON.readValue(response.body(), Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "... (" + text.length() + " characters)";
    }
}
