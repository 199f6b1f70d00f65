package io.fibonaccirpc.gateway;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.observe.RpcCounters;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway with a server that is too slow: overload bounds, timeouts and late replies. */
class GatewayUnderStressTest {

    /**
     * HTTP/1.1, as wrk and most load balancers: the JDK client would otherwise upgrade a connection to HTTP/2
     * and send calls over it as streams, at most 100 at once (Vert.x's limit per connection).
     */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final FaultReport REPORT = FaultReport.of(GatewayUnderStressTest.class);

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void past_the_in_flight_bound_a_caller_gets_503_with_retry_after_at_once() throws Exception {
        Map<String, String> properties = gatewayProperties();
        properties.put("rpc.max-in-flight", "2");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties)) {
            CompletableFuture<HttpResponse<String>> first = callAsync(gateway, 1);
            CompletableFuture<HttpResponse<String>> second = callAsync(gateway, 2);
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 2);

            long started = System.nanoTime();
            HttpResponse<String> third = get(gateway.uri("/fib/3"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            List<Delivery> receivedAtThird = silent.received();
            HttpResponse<String> firstResponse = FaultReport.outcomeWithin(first, Duration.ofSeconds(10));
            HttpResponse<String> secondResponse = FaultReport.outcomeWithin(second, Duration.ofSeconds(10));
            REPORT.row("overload")
                    .injected("rpc.max-in-flight 2, two calls held by a server that never replies, then a third call")
                    .http(third.statusCode())
                    .http(firstResponse == null ? -1 : firstResponse.statusCode())
                    .http(secondResponse == null ? -1 : secondResponse.statusCode())
                    .stale(silent.received().stream().filter(request -> "3".equals(new String(request.getBody(),
                            StandardCharsets.UTF_8))).count(), "requests of the refused call that reached the server")
                    .callersSaw(String.format("the third call: %d %s, Retry-After %s, in %d ms; the two held: %s, %s "
                                    + "at the reply timeout", third.statusCode(), json(third.body()).get("type"),
                            third.headers().firstValue("Retry-After").orElse("none"), millis,
                            firstResponse == null ? "no answer" : firstResponse.statusCode(),
                            secondResponse == null ? "no answer" : secondResponse.statusCode()))
                    .record();

            assertEquals(503, third.statusCode());
            assertEquals("urn:fibonacci-rpc:problem:overloaded", json(third.body()).get("type"));
            assertEquals("1", third.headers().firstValue("Retry-After").orElse(""));
            assertTrue(millis < 1000, "answered in " + millis + " ms");
            assertEquals(2, receivedAtThird.size(), "the refused call was not published");

            assertNotNull(firstResponse, "no answer to the first call");
            assertEquals(504, firstResponse.statusCode());
            assertNotNull(secondResponse, "no answer to the second call");
            assertEquals(504, secondResponse.statusCode());
        }
    }

    @Test
    void a_late_reply_is_dropped_and_counted_never_delivered_to_another_caller() throws Exception {
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(gatewayProperties())) {
            RpcCounters counters = gateway.camelContext().getRegistry().lookupByNameAndType("rpcCounters", RpcCounters.class);

            HttpResponse<String> timedOut = get(gateway.uri("/fib/10"));
            assertEquals(504, timedOut.statusCode());
            Delivery late = silent.received().get(0);

            CompletableFuture<HttpResponse<String>> next = callAsync(gateway, 11);
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 2);
            Delivery current = silent.received().get(1);

            // the slow server answers the first call now, after its caller gave up, then the second
            reply(late, "55");
            await().atMost(Duration.ofSeconds(5)).until(() -> counters.lateReplies().sum() == 1);
            reply(current, "89");

            HttpResponse<String> response = FaultReport.outcomeWithin(next, Duration.ofSeconds(10));
            REPORT.row("late reply")
                    .injected("a reply to a call that timed out (reply timeout 1.5 s), sent while the next call waits")
                    .http(timedOut.statusCode())
                    .http(response == null ? -1 : response.statusCode())
                    .wrong(response != null && response.statusCode() == 200 && !"89".equals(response.body()) ? 1 : 0)
                    .staleNotObservable("the test plays the server: the late reply is the fault injected")
                    .callersSaw(String.format("the first call: %d; late replies dropped by the gateway: %d; the next "
                                    + "call: %s", timedOut.statusCode(), counters.lateReplies().sum(),
                            response == null ? "no answer" : response.statusCode() + " " + response.body()))
                    .record();

            assertNotNull(response, "no answer to the next call");
            assertEquals(200, response.statusCode());
            assertEquals("89", response.body());
        }
    }

    @Test
    void calls_waiting_for_their_replies_hold_no_thread_and_no_channel() throws Exception {
        int calls = 400;
        Map<String, String> properties = gatewayProperties();
        properties.put("rpc.max-in-flight", "1000");
        properties.put("rpc.reply-timeout", "30000");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties)) {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                responses.add(callAsync(gateway, i % 100));
            }
            // all of them published and waiting at once: a thread or a channel held per waiting call would stop
            // this at the 20 Vert.x workers, or show in the counts below
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(calls, silent.received().size(),
                    "requests received by the server while none was answered (the queue holds "
                            + TestBroker.get().queueDepth(queue) + "; HTTP calls answered: "
                            + responses.stream().filter(CompletableFuture::isDone).count() + ")"));
            int threadsBlocked = PluginHelper.getAsyncProcessorAwaitManager(gateway.camelContext()).size();
            org.springframework.amqp.rabbit.connection.ConnectionFactory connections = gateway.camelContext()
                    .getRegistry().lookupByNameAndType("rabbitConnectionFactory",
                            org.springframework.amqp.rabbit.connection.ConnectionFactory.class);
            int localPort = connections.createConnection().getLocalPort();
            Map<String, Object> brokerSide = Rabbitmqctl.forTestBroker().list("list_connections", "peer_port", "channels")
                    .stream().filter(row -> ((Number) row.get("peer_port")).intValue() == localPort)
                    .findFirst().orElseThrow();
            long channels = ((Number) brokerSide.get("channels")).longValue();
            assertTrue(responses.stream().noneMatch(CompletableFuture::isDone), "a call was answered before its reply");

            try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
                for (Delivery request : silent.received()) {
                    int n = Integer.parseInt(new String(request.getBody(), StandardCharsets.UTF_8));
                    reply(channel, request, FIBONACCI.of(n).toString());
                }
            }
            long right = 0;
            for (int i = 0; i < calls; i++) {
                HttpResponse<String> response = FaultReport.outcomeWithin(responses.get(i), Duration.ofSeconds(20));
                if (response != null && response.statusCode() == 200
                        && FIBONACCI.of(i % 100).toString().equals(response.body())) {
                    right++;
                }
            }
            REPORT.row("many waiting calls")
                    .injected(calls + " concurrent calls held by a server that replies only when all were published")
                    .http(right == calls ? 200 : -1)
                    .wrong(calls - right)
                    .staleNotObservable("the test plays the server and answers every call")
                    .callersSaw(String.format("all %d published while none was answered; threads blocked on a call: "
                            + "%d; channels of the gateway's connection: %d; then %d of %d answered right",
                            calls, threadsBlocked, channels, right, calls))
                    .record();

            assertEquals(0, threadsBlocked, "threads blocked waiting for a call");
            // channels are taken by publishing threads (at most the 20 Vert.x workers at once), not by waiting calls
            assertTrue(channels <= 30, channels + " channels on the gateway's connection");
            assertEquals(calls, right, "calls answered with their own value");
        }
    }

    @Test
    void camel_headers_from_an_http_caller_are_ignored() throws Exception {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        try (RunningApplication application = RunningApplication.start(properties)) {
            HttpResponse<String> response = get(application.uri("/fib/15"),
                    "CamelHttpResponseCode", "299",
                    "CamelSpringRabbitmqRoutingOverrideKey", "elsewhere",
                    "CamelSpringRabbitmqReplyTo", "elsewhere",
                    "CamelSpringRabbitmqCorrelationId", "chosen-by-caller",
                    "rpc-error", "INTERNAL");
            REPORT.row("hostile HTTP headers: Camel headers")
                    .injected("GET /fib/15 with CamelHttpResponseCode, CamelSpringRabbitmq* routing, reply-to and "
                            + "correlation id headers, and rpc-error: INTERNAL")
                    .http(response.statusCode())
                    .wrong(response.statusCode() == 200 && !"610".equals(response.body()) ? 1 : 0)
                    .callersSaw(response.statusCode() + " " + response.body() + "; response headers: "
                            + response.headers().map().keySet())
                    .record();

            assertEquals(200, response.statusCode());
            assertEquals("610", response.body());
            assertTrue(response.headers().firstValue("Retry-After").isEmpty(), response.headers().toString());
            assertTrue(response.headers().map().keySet().stream().noneMatch(name -> name.toLowerCase().startsWith("camel")),
                    response.headers().toString());
        }
    }

    private Map<String, String> gatewayProperties() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", "1500");
        return properties;
    }

    private static CompletableFuture<HttpResponse<String>> callAsync(RunningApplication gateway, int n) {
        return HTTP.sendAsync(HttpRequest.newBuilder(gateway.uri("/fib/" + n)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void reply(Delivery request, String body) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            reply(channel, request, body);
        }
    }

    private static void reply(Channel channel, Delivery request, String body) throws Exception {
        channel.basicPublish("", request.getProperties().getReplyTo(),
                new AMQP.BasicProperties.Builder().correlationId(request.getProperties().getCorrelationId()).build(),
                body.getBytes(StandardCharsets.UTF_8));
    }
}
