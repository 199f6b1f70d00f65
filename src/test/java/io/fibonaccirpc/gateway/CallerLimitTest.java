package io.fibonaccirpc.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limit of calls in flight per caller (rpc.caller.max-in-flight): past it a caller gets 429 at once and nothing is
 * published, while another caller's calls go through. A server that never replies holds the calls in flight; the
 * test answers the ones it wants answered.
 */
class CallerLimitTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TOO_MANY_CALLS = "urn:fibonacci-rpc:problem:too-many-calls";

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void past_its_limit_a_caller_gets_429_at_once_and_another_address_still_gets_through() throws Exception {
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(gatewayProperties())) {
            CompletableFuture<HttpResponse<String>> first = callAsync(gateway.uri("/fib/1"));
            CompletableFuture<HttpResponse<String>> second = callAsync(gateway.uri("/fib/2"));
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 2);

            long started = System.nanoTime();
            HttpResponse<String> third = HTTP.send(HttpRequest.newBuilder(gateway.uri("/fib/3")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            int publishedAtThird = silent.received().size();

            assertEquals(429, third.statusCode(), third.body());
            assertEquals("application/problem+json", third.headers().firstValue("Content-Type").orElse(""));
            Map<String, Object> problem = json(third.body());
            assertEquals(TOO_MANY_CALLS, problem.get("type"));
            assertEquals(429, problem.get("status"));
            assertTrue(String.valueOf(problem.get("detail")).contains("address:127.0.0.1"), third.body());
            assertEquals("1", third.headers().firstValue("Retry-After").orElse(""));
            assertTrue(millis < 1000, "answered in " + millis + " ms");
            assertEquals(2, publishedAtThird, "the refused call was not published");

            // another address of this host is another caller: its call is published and answered
            CompletableFuture<RawResponse> other = CompletableFuture.supplyAsync(
                    () -> RawResponse.get("127.0.0.2", gateway.uri("/fib/10")));
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 3);
            reply(silent.received().get(2), "55");
            RawResponse answered = other.get(10, TimeUnit.SECONDS);
            assertEquals(200, answered.status(), answered.body());
            assertEquals("55", answered.body());

            // the held calls end at the reply timeout, and the caller may call again
            assertEquals(504, first.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(504, second.get(10, TimeUnit.SECONDS).statusCode());
            CompletableFuture<HttpResponse<String>> again = callAsync(gateway.uri("/fib/4"));
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 4);
            reply(silent.received().get(3), "3");
            assertEquals("3", again.get(10, TimeUnit.SECONDS).body());

            Scrape metrics = Scrape.of(gateway.uri("/observe/metrics"));
            assertEquals(1.0, metrics.value("fibonacci_rpc_gateway_calls_total", "outcome", "throttled"));
            assertEquals(2.0, metrics.value("fibonacci_rpc_gateway_calls_total", "outcome", "ok"));
            // the two timeouts are failed calls, kept in the dead-letter queue; the refusal is none
            await().atMost(Duration.ofSeconds(5)).until(() -> TestBroker.get().queueDepth(queue + ".dead-letters") >= 2);
            assertEquals(2, TestBroker.get().queueDepth(queue + ".dead-letters"));
        }
    }

    @Test
    void a_caller_past_its_limit_is_told_429_before_the_gateways_bound_and_others_get_503_at_that_bound() throws Exception {
        Map<String, String> properties = gatewayProperties();
        properties.put("rpc.max-in-flight", "3");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties)) {
            CompletableFuture<HttpResponse<String>> first = callAsync(gateway.uri("/fib/1"));
            CompletableFuture<HttpResponse<String>> second = callAsync(gateway.uri("/fib/2"));
            CompletableFuture<RawResponse> other = CompletableFuture.supplyAsync(
                    () -> RawResponse.get("127.0.0.2", gateway.uri("/fib/3")));
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 3);

            // the gateway is full; this caller is past its own limit: its refused calls take none of the gateway's
            // places, so it is told about its own limit
            HttpResponse<String> overOwn = callAsync(gateway.uri("/fib/4")).get(5, TimeUnit.SECONDS);
            assertEquals(429, overOwn.statusCode(), overOwn.body());
            assertEquals(TOO_MANY_CALLS, json(overOwn.body()).get("type"));
            // the other caller is within its limit: the gateway's bound refuses it
            RawResponse full = RawResponse.get("127.0.0.2", gateway.uri("/fib/5"));
            assertEquals(503, full.status(), full.body());
            assertEquals("urn:fibonacci-rpc:problem:overloaded", json(full.body()).get("type"));
            assertEquals(3, silent.received().size(), "neither refused call was published");

            assertEquals(504, first.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(504, second.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(504, other.get(10, TimeUnit.SECONDS).status());
        }
    }

    @Test
    void behind_a_trusted_proxy_the_caller_is_the_address_the_proxy_forwards() throws Exception {
        Map<String, String> properties = gatewayProperties();
        properties.put("http.trusted-proxies", "10.0.0.0/8, 127.0.0.1");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties)) {
            // the proxy appends the address it saw to what the caller sent: the last one not a proxy's counts
            CompletableFuture<HttpResponse<String>> first = callAsync(gateway.uri("/fib/1"), "198.51.100.9, 203.0.113.7");
            CompletableFuture<HttpResponse<String>> second = callAsync(gateway.uri("/fib/2"), "203.0.113.7, 10.1.2.3");
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 2);

            HttpResponse<String> third = callAsync(gateway.uri("/fib/3"), "203.0.113.7").get(5, TimeUnit.SECONDS);
            assertEquals(429, third.statusCode(), third.body());
            assertTrue(String.valueOf(json(third.body()).get("detail")).contains("address:203.0.113.7"), third.body());
            assertEquals(2, silent.received().size(), "the refused call was not published");

            CompletableFuture<HttpResponse<String>> other = callAsync(gateway.uri("/fib/10"), "203.0.113.8");
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 3);
            reply(silent.received().get(2), "55");
            assertEquals("55", other.get(10, TimeUnit.SECONDS).body());
            assertEquals(504, first.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(504, second.get(10, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void a_forwarded_for_header_from_a_peer_not_trusted_is_ignored() throws Exception {
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(gatewayProperties())) {
            CompletableFuture<HttpResponse<String>> first = callAsync(gateway.uri("/fib/1"), "203.0.113.1");
            CompletableFuture<HttpResponse<String>> second = callAsync(gateway.uri("/fib/2"), "203.0.113.2");
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 2);

            HttpResponse<String> third = callAsync(gateway.uri("/fib/3"), "203.0.113.3").get(5, TimeUnit.SECONDS);
            assertEquals(429, third.statusCode(), third.body());
            assertTrue(String.valueOf(json(third.body()).get("detail")).contains("address:127.0.0.1"), third.body());
            assertEquals(504, first.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(504, second.get(10, TimeUnit.SECONDS).statusCode());
        }
    }

    private Map<String, String> gatewayProperties() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", "1500");
        properties.put("rpc.caller.max-in-flight", "2");
        return properties;
    }

    private static CompletableFuture<HttpResponse<String>> callAsync(URI uri, String... forwardedFor) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        for (String value : forwardedFor) {
            request.header("X-Forwarded-For", value);
        }
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void reply(Delivery request, String body) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", request.getProperties().getReplyTo(),
                    new AMQP.BasicProperties.Builder().correlationId(request.getProperties().getCorrelationId()).build(),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An HTTP/1.1 GET from a socket bound to a local address of its own (the JDK's client can not choose one). */
    record RawResponse(int status, String body) {

        static RawResponse get(String localAddress, URI uri) {
            try (Socket socket = new Socket()) {
                socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                in.transferTo(all);
                String text = all.toString(StandardCharsets.UTF_8);
                int headersEnd = text.indexOf("\r\n\r\n");
                List<String> statusLine = List.of(text.substring(0, text.indexOf("\r\n")).split(" "));
                return new RawResponse(Integer.parseInt(statusLine.get(1)), text.substring(headersEnd + 4));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
