package io.fibonaccirpc.observe;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SharedApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /observe/metrics after real calls of every outcome: the counters move by the calls made, the histograms count
 * them, and the names are those README's table lists.
 */
class MetricsTest {

    private static final String PREFIX = "fibonacci_rpc_";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final SharedApplication application = SharedApplication.isolated();

    private final String ownQueue = application.ownQueue();

    @Test
    void the_endpoint_serves_prometheus_text_with_the_rpc_metrics_and_no_per_route_timers() {
        Scrape scrape = scrape(application.running());

        assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
        assertEquals("counter", scrape.types().get("fibonacci_rpc_gateway_calls_total"));
        assertEquals("histogram", scrape.types().get("fibonacci_rpc_gateway_call_duration_seconds"));
        assertEquals("histogram", scrape.types().get("fibonacci_rpc_server_request_duration_seconds"));
        assertEquals("histogram", scrape.types().get("fibonacci_rpc_server_compute_duration_seconds"));
        assertEquals("gauge", scrape.types().get("fibonacci_rpc_gateway_calls_in_flight"));
        // Camel's timers of every route and exchange are off: they would cost every call
        assertFalse(scrape.hasSampleStartingWith("camel_exchanges"), scrape.types().keySet().toString());
        assertFalse(scrape.hasSampleStartingWith("camel_route_policy"), scrape.types().keySet().toString());
    }

    @Test
    void a_call_answered_counts_as_ok_on_both_sides_with_its_durations() {
        Scrape before = scrape(application.running());

        assertEquals(200, get(application.uri("/fib/30")).statusCode());

        Scrape after = awaitScrape(application.running(), scrape -> moved(before, scrape, "fibonacci_rpc_gateway_calls_total", "ok") == 1);
        assertEquals(1, moved(before, after, "fibonacci_rpc_gateway_call_duration_seconds_count", "ok"));
        assertEquals(1, moved(before, after, "fibonacci_rpc_server_requests_total", "ok"));
        assertEquals(1, moved(before, after, "fibonacci_rpc_server_request_duration_seconds_count", "ok"));
        assertEquals(1, after.value("fibonacci_rpc_server_compute_duration_seconds_count")
                - before.value("fibonacci_rpc_server_compute_duration_seconds_count"));
        assertEquals(1, after.value("fibonacci_rpc_gateway_call_duration_seconds_bucket", "outcome", "ok", "le", "+Inf")
                - before.value("fibonacci_rpc_gateway_call_duration_seconds_bucket", "outcome", "ok", "le", "+Inf"));
        assertTrue(after.value("fibonacci_rpc_gateway_call_duration_seconds_sum", "outcome", "ok")
                > before.value("fibonacci_rpc_gateway_call_duration_seconds_sum", "outcome", "ok"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_gateway_calls_total", "invalid"));
    }

    @Test
    void a_bad_n_counts_as_invalid_and_reaches_no_server() {
        Scrape before = scrape(application.running());

        assertEquals(400, get(application.uri("/fib/abc")).statusCode());
        assertEquals(400, get(application.uri("/fib/100001")).statusCode());

        Scrape after = awaitScrape(application.running(),
                scrape -> moved(before, scrape, "fibonacci_rpc_gateway_calls_total", "invalid") == 2);
        assertEquals(2, moved(before, after, "fibonacci_rpc_gateway_call_duration_seconds_count", "invalid"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_server_requests_total", "invalid"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_gateway_calls_total", "ok"));
    }

    @Test
    void a_request_a_server_refuses_counts_as_invalid_at_the_server() {
        Scrape before = scrape(application.running());
        ProducerTemplate template = application.camelContext().createProducerTemplate();

        assertThrows(Exception.class, () -> template.requestBody("direct:fibonacci-client", "not a number", String.class));

        Scrape after = awaitScrape(application.running(),
                scrape -> moved(before, scrape, "fibonacci_rpc_server_requests_total", "invalid") == 1);
        assertEquals(1, moved(before, after, "fibonacci_rpc_server_request_duration_seconds_count", "invalid"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_server_requests_total", "ok"));
    }

    @Test
    void requests_without_a_reply_address_or_past_their_deadline_count_at_the_server() throws Exception {
        Scrape before = scrape(application.running());

        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", application.queue(), new AMQP.BasicProperties.Builder().correlationId("no-reply-to")
                    .build(), "5".getBytes(StandardCharsets.UTF_8));
            channel.basicPublish("", application.queue(), new AMQP.BasicProperties.Builder().correlationId("expired")
                    .replyTo("amq.rabbitmq.reply-to.nobody")
                    .headers(Map.of("rpc-deadline", System.currentTimeMillis() - 1000)).build(),
                    "5".getBytes(StandardCharsets.UTF_8));
        }

        Scrape after = awaitScrape(application.running(),
                scrape -> moved(before, scrape, "fibonacci_rpc_server_requests_total", "refused") == 1
                        && moved(before, scrape, "fibonacci_rpc_server_requests_total", "expired") == 1
                        && scrape.value("fibonacci_rpc_server_dead_letters_total")
                                - before.value("fibonacci_rpc_server_dead_letters_total") == 1);
        assertEquals(1, moved(before, after, "fibonacci_rpc_server_request_duration_seconds_count", "refused"));
        assertEquals(1, moved(before, after, "fibonacci_rpc_server_request_duration_seconds_count", "expired"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_server_requests_total", "ok"));
    }

    @Test
    void a_call_no_server_takes_counts_as_no_server() {
        TestBroker.get().declareQueue(ownQueue);
        try (RunningApplication gateway = RunningApplication.start(gatewayProperties(ownQueue))) {
            assertEquals(503, get(gateway.uri("/fib/7")).statusCode());
            assertEquals(503, get(gateway.uri("/fib/8")).statusCode());

            Scrape after = awaitScrape(gateway,
                    scrape -> scrape.value("fibonacci_rpc_gateway_calls_total", "outcome", "no_server") == 2);
            assertEquals(2, after.value("fibonacci_rpc_gateway_call_duration_seconds_count", "outcome", "no_server"));
            assertEquals(0, after.value("fibonacci_rpc_gateway_dead_letters_total"), "nothing was published");
        }
    }

    /**
     * A server that never replies: the call held is in flight, the next one is refused as overloaded, the first
     * times out and is dead-lettered, and its reply, sent late, is counted as such.
     */
    @Test
    void timeouts_overload_calls_in_flight_late_replies_and_dead_letters_are_counted() throws Exception {
        Map<String, String> properties = gatewayProperties(ownQueue);
        properties.put("rpc.max-in-flight", "1");
        try (SilentServer silent = SilentServer.on(ownQueue); RunningApplication gateway = RunningApplication.start(properties)) {
            CompletableFuture<HttpResponse<String>> held = HTTP.sendAsync(
                    HttpRequest.newBuilder(gateway.uri("/fib/10")).build(), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 1);
            assertEquals(1, scrape(gateway).value("fibonacci_rpc_gateway_calls_in_flight"));

            HttpResponse<String> refused = get(gateway.uri("/fib/11"));
            assertEquals(503, refused.statusCode());
            assertEquals(504, FaultReport.outcomeWithin(held, Duration.ofSeconds(10)).statusCode());
            reply(silent.received().get(0), "55");

            Scrape after = awaitScrape(gateway, scrape -> scrape.value("fibonacci_rpc_gateway_late_replies_total") == 1
                    && scrape.value("fibonacci_rpc_gateway_dead_letters_total") == 1);
            assertEquals(1, after.value("fibonacci_rpc_gateway_calls_total", "outcome", "overload"));
            assertEquals(1, after.value("fibonacci_rpc_gateway_calls_total", "outcome", "timeout"));
            assertEquals(1, after.value("fibonacci_rpc_gateway_call_duration_seconds_count", "outcome", "timeout"));
            assertTrue(after.value("fibonacci_rpc_gateway_call_duration_seconds_sum", "outcome", "timeout") >= 1.4);
            assertEquals(0, after.value("fibonacci_rpc_gateway_calls_total", "outcome", "ok"));
            assertEquals(0, after.value("fibonacci_rpc_gateway_calls_in_flight"));
        }
    }

    @Test
    void the_operations_page_lists_exactly_the_metrics_the_endpoint_serves() throws IOException {
        Set<String> served = scrape(application.running()).familiesStartingWith(PREFIX);
        Set<String> listed = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `(" + PREFIX + "[a-z_]+)` \\|").matcher(
                Files.readString(Path.of("docs", "operations.md"), StandardCharsets.UTF_8));
        while (row.find()) {
            listed.add(row.group(1));
        }

        assertEquals(served, listed);
    }

    private static Map<String, String> gatewayProperties(String queue) {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", "1500");
        return properties;
    }

    private static Scrape scrape(RunningApplication application) {
        return Scrape.of(application.uri("/observe/metrics"));
    }

    /** The first scrape that meets the condition (meters of calls answered are recorded after the answer). */
    private static Scrape awaitScrape(RunningApplication application, java.util.function.Predicate<Scrape> condition) {
        return await().atMost(Duration.ofSeconds(5)).until(() -> scrape(application), condition);
    }

    /** How much a sample with this outcome moved between two scrapes. */
    private static double moved(Scrape before, Scrape after, String name, String outcome) {
        return after.value(name, "outcome", outcome) - before.value(name, "outcome", outcome);
    }

    private static void reply(Delivery request, String body) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", request.getProperties().getReplyTo(),
                    new AMQP.BasicProperties.Builder().correlationId(request.getProperties().getCorrelationId()).build(),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }
}
