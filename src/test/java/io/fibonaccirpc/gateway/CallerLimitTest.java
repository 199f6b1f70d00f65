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
    void a_refused_callers_own_connection_is_not_read_again_before_retry_after_its_other_connections_are() throws Exception {
        Map<String, String> properties = gatewayProperties();
        properties.put("rpc.caller.max-in-flight", "1");
        properties.put("rpc.reply-timeout", "6000");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties);
                KeptAlive connection = new KeptAlive(gateway.uri("/")); KeptAlive another = new KeptAlive(gateway.uri("/"))) {
            CompletableFuture<HttpResponse<String>> held = callAsync(gateway.uri("/fib/1"));
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 1);

            Timed refused = connection.get("/fib/2");
            assertEquals(429, refused.response().status(), refused.response().body());
            assertTrue(refused.millis() < 500, "the refusal came at once: " + refused.millis() + " ms");
            // a caller that retries at once on that connection waits there until Retry-After (1 s) has passed
            Timed again = connection.get("/fib/3");
            assertEquals(429, again.response().status(), again.response().body());
            assertTrue(again.millis() >= 800, "the connection was read again after " + again.millis() + " ms");
            // its other connection is not held
            Timed other = another.get("/fib/4");
            assertEquals(429, other.response().status(), other.response().body());
            assertTrue(other.millis() < 500, "another connection's refusal came at once: " + other.millis() + " ms");
            assertEquals(1, silent.received().size(), "no refused call was published");
            reply(silent.received().get(0), "1");
            assertEquals("1", held.get(10, TimeUnit.SECONDS).body());
        }
    }

    @Test
    void a_trusted_proxys_connection_is_never_held_it_carries_other_callers() throws Exception {
        Map<String, String> properties = gatewayProperties();
        properties.put("rpc.caller.max-in-flight", "1");
        properties.put("rpc.reply-timeout", "6000");
        properties.put("http.trusted-proxies", "127.0.0.1");
        try (SilentServer silent = SilentServer.on(queue); RunningApplication gateway = RunningApplication.start(properties);
                KeptAlive proxy = new KeptAlive(gateway.uri("/"))) {
            CompletableFuture<HttpResponse<String>> held = callAsync(gateway.uri("/fib/1"), "203.0.113.7");
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.received().size() == 1);

            Timed refused = proxy.get("/fib/2", "X-Forwarded-For: 203.0.113.7");
            assertEquals(429, refused.response().status(), refused.response().body());
            // the proxy's next request, another caller's (a bad n: answered without waiting for a server), is read
            // at once
            Timed next = proxy.get("/fib/abc", "X-Forwarded-For: 203.0.113.8");
            assertEquals(400, next.response().status(), next.response().body());
            assertTrue(next.millis() < 500, "the proxy's connection was read again after " + next.millis() + " ms");
            assertEquals(1, silent.received().size());
            reply(silent.received().get(0), "1");
            assertEquals("1", held.get(10, TimeUnit.SECONDS).body());
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

    record Timed(RawResponse response, long millis) {
    }

    /** One kept-alive HTTP/1.1 connection, its requests one after the other. */
    static final class KeptAlive implements AutoCloseable {
        private final Socket socket = new Socket();
        private final URI base;

        KeptAlive(URI base) throws IOException {
            this.base = base;
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
            socket.setSoTimeout(20_000);
        }

        Timed get(String path, String... headers) throws IOException {
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            long started = System.nanoTime();
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            RawResponse response = RawResponse.read(socket.getInputStream());
            return new Timed(response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }

        @Override
        public void close() throws IOException {
            socket.close();
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
                return read(socket.getInputStream());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** One response: its status line, headers, and a body of Content-Length bytes or of chunks. */
        static RawResponse read(InputStream in) throws IOException {
            int status = Integer.parseInt(line(in).split(" ")[1]);
            long length = -1;
            boolean chunked = false;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                String name = header.substring(0, header.indexOf(':')).trim().toLowerCase(java.util.Locale.ROOT);
                String value = header.substring(header.indexOf(':') + 1).trim();
                if (name.equals("content-length")) {
                    length = Long.parseLong(value);
                } else if (name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked")) {
                    chunked = true;
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (chunked) {
                for (int size = Integer.parseInt(line(in).trim(), 16); size > 0; size = Integer.parseInt(line(in).trim(), 16)) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
                line(in);
            } else if (length >= 0) {
                body.write(in.readNBytes((int) length));
            } else {
                in.transferTo(body);
            }
            return new RawResponse(status, body.toString(StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the connection closed in a response");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }
    }
}
