package io.fibonaccirpc.wire;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.LongString;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RecordingReplyServer;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.tuning.RpcCallTemplate;
import io.fibonaccirpc.wire.RpcHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "The RPC on the wire", as a plain AMQP consumer receives it: a request our gateway published, consumed from the
 * request queue, and a reply our server published, consumed from a reply queue of the test's own.
 */
class WirePropertiesTest {

    private static final long REPLY_TIMEOUT_MILLIS = 4000;
    /** AMQP delivery mode 1: the broker keeps the message in memory only. */
    private static final int NON_PERSISTENT = 1;

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void requests_are_published_non_persistent_with_the_callers_time_left_as_expiration_and_rpc_deadline() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", Long.toString(REPLY_TIMEOUT_MILLIS));
        try (RecordingReplyServer server = RecordingReplyServer.on(TestBroker.get(), queue);
             RunningApplication gateway = RunningApplication.start(properties)) {
            long before = System.currentTimeMillis();
            HttpResponse<String> response = Http.get(gateway.uri("/fib/7"));
            long after = System.currentTimeMillis();

            assertEquals(200, response.statusCode(), response.body());
            assertEquals("13", response.body());
            assertEquals(1, server.received().size());
            Delivery request = server.received().get(0);
            AMQP.BasicProperties wire = request.getProperties();
            System.out.println("the request as a consumer receives it: " + wire + ", routing key "
                    + request.getEnvelope().getRoutingKey() + ", exchange '" + request.getEnvelope().getExchange() + "'");
            assertEquals(NON_PERSISTENT, wire.getDeliveryMode(), "delivery mode of " + wire);
            assertEquals(Long.toString(REPLY_TIMEOUT_MILLIS), wire.getExpiration());
            Object header = wire.getHeaders().get(RpcHeaders.DEADLINE);
            assertInstanceOf(LongString.class, header, "rpc-deadline is a string, which every client library decodes: "
                    + wire.getHeaders());
            assertTrue(header.toString().matches("[0-9]+"), "rpc-deadline is decimal text: " + header);
            long deadline = Long.parseLong(header.toString());
            assertTrue(deadline >= before + REPLY_TIMEOUT_MILLIS && deadline <= after + REPLY_TIMEOUT_MILLIS,
                    "rpc-deadline " + deadline + " is the publish time plus the reply timeout, between "
                            + (before + REPLY_TIMEOUT_MILLIS) + " and " + (after + REPLY_TIMEOUT_MILLIS));
            assertEquals("", request.getEnvelope().getExchange(), "published on the default exchange");
            assertEquals(queue, request.getEnvelope().getRoutingKey());
            assertEquals("7", new String(request.getBody(), StandardCharsets.UTF_8));
            assertNotNull(wire.getCorrelationId());
            assertTrue(wire.getReplyTo().startsWith(queue + RpcCallTemplate.REPLY_QUEUE_INFIX), wire.getReplyTo());
        }
    }

    @Test
    void replies_are_published_non_persistent_as_text_plain_with_the_correlation_id_and_no_headers() throws Exception {
        try (RunningApplication server = startServer();
             RawCaller caller = new RawCaller()) {
            String correlationId = UUID.randomUUID().toString();
            Delivery reply = caller.call(queue, "30", correlationId);

            AMQP.BasicProperties wire = reply.getProperties();
            System.out.println("the reply as a consumer receives it: " + wire);
            assertEquals("832040", new String(reply.getBody(), StandardCharsets.UTF_8));
            assertEquals(NON_PERSISTENT, wire.getDeliveryMode(), "delivery mode of " + wire);
            assertEquals(correlationId, wire.getCorrelationId());
            assertEquals("text/plain", wire.getContentType());
            assertTrue(wire.getHeaders() == null || wire.getHeaders().isEmpty(), "headers of the reply: " + wire.getHeaders());
            assertNoPropertyOfTheRequest(wire);
            assertEquals(caller.replyQueue, reply.getEnvelope().getRoutingKey(), "published to reply_to");
            assertEquals("", reply.getEnvelope().getExchange(), "published on the default exchange");
        }
    }

    @Test
    void error_replies_are_published_non_persistent_with_the_rpc_error_header_only() throws Exception {
        try (RunningApplication server = startServer();
             RawCaller caller = new RawCaller()) {
            String correlationId = UUID.randomUUID().toString();
            Delivery reply = caller.call(queue, "abc", correlationId);

            AMQP.BasicProperties wire = reply.getProperties();
            System.out.println("the error reply as a consumer receives it: " + wire);
            assertEquals(NON_PERSISTENT, wire.getDeliveryMode(), "delivery mode of " + wire);
            assertEquals(correlationId, wire.getCorrelationId());
            assertEquals("text/plain", wire.getContentType());
            assertNotNull(wire.getHeaders(), "the error reply has its rpc-error header");
            assertEquals(Map.of("rpc-error", "INVALID_ARGUMENT"), stringValues(wire.getHeaders()));
            assertNoPropertyOfTheRequest(wire);
            assertEquals("-1 INVALID_ARGUMENT: n must be a decimal integer from 0 to 100000, was abc",
                    new String(reply.getBody(), StandardCharsets.UTF_8), "the body: -1 (no Fibonacci number), the code, "
                            + "the message");
        }
    }

    @Test
    void an_error_reply_quotes_a_bad_request_as_printable_text_cut_short() throws Exception {
        try (RunningApplication server = startServer();
             RawCaller caller = new RawCaller()) {
            // the start of a serialized Java string, and more
            String request = "\u00ac\u00ed\u0000\u0005t\u0000\u00021\u001b[0m" + "9".repeat(200) + "x";
            Delivery reply = caller.call(queue, request, UUID.randomUUID().toString());
            String message = new String(reply.getBody(), StandardCharsets.UTF_8);
            System.out.println("the error reply to a serialized object: " + message);
            assertEquals("INVALID_ARGUMENT", String.valueOf(reply.getProperties().getHeaders().get("rpc-error")));
            assertTrue(message.chars().noneMatch(Character::isISOControl), "no control byte in: " + message);
            assertTrue(message.contains("\\u0000\\u0005t"), "control bytes escaped: " + message);
            assertTrue(message.length() < 130, "cut short: " + message);
        }
    }

    /** Other clients may send the deadline either way: as decimal text, as ours does, or as an integer. */
    @Test
    void a_server_reads_rpc_deadline_as_decimal_text_or_as_an_integer() throws Exception {
        try (RunningApplication server = startServer();
             RawCaller caller = new RawCaller()) {
            long past = System.currentTimeMillis() - 1000;
            caller.send(queue, "10", "past as text", Map.of(RpcHeaders.DEADLINE, Long.toString(past)));
            caller.send(queue, "11", "past as an integer", Map.of(RpcHeaders.DEADLINE, past));
            long future = System.currentTimeMillis() + 10_000;
            caller.send(queue, "12", "future as text", Map.of(RpcHeaders.DEADLINE, Long.toString(future)));
            caller.send(queue, "13", "future as an integer", Map.of(RpcHeaders.DEADLINE, future));

            await("the two replies").atMost(Duration.ofSeconds(10)).until(() -> caller.replies.size() >= 2);
            await("the two requests past their deadline dropped").atMost(Duration.ofSeconds(10)).until(() ->
                    Scrape.of(server.uri("/observe/metrics"))
                            .value("fibonacci_rpc_server_requests_total", "outcome", "expired") == 2.0);
            assertEquals(Map.of("future as text", "144", "future as an integer", "233"), caller.replies.stream()
                    .collect(Collectors.toMap(reply -> reply.getProperties().getCorrelationId(),
                            reply -> new String(reply.getBody(), StandardCharsets.UTF_8))),
                    "only the requests whose deadline had not passed are answered");
        }
    }

    private RunningApplication startServer() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "server");
        return RunningApplication.start(properties);
    }

    private static Map<String, String> stringValues(Map<String, Object> headers) {
        return headers.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, entry -> String.valueOf(entry.getValue())));
    }

    /** None of the properties RawCaller gives a request (but its correlation id) is on the reply. */
    private static void assertNoPropertyOfTheRequest(AMQP.BasicProperties reply) {
        // priority 0 is the default Spring gives every message
        Integer priority = reply.getPriority() == null || reply.getPriority() == 0 ? null : reply.getPriority();
        assertEquals(Arrays.asList(null, null, null, null, null, null), Arrays.asList(reply.getExpiration(),
                reply.getMessageId(), priority, reply.getAppId(), reply.getType(), reply.getUserId()),
                "expiration, message id, priority, app id, type and user id of " + reply);
    }

    /** A tutorial client: its own exclusive, server-named callback queue (amq.gen-...), replies received raw. */
    private static final class RawCaller implements AutoCloseable {

        private final Connection connection = TestBroker.get().connect();
        private final Channel channel;
        private final String replyQueue;
        private final List<Delivery> replies = new CopyOnWriteArrayList<>();

        RawCaller() throws IOException {
            channel = connection.createChannel();
            replyQueue = channel.queueDeclare("", false, true, true, null).getQueue();
            channel.basicConsume(replyQueue, true, (tag, delivery) -> replies.add(delivery), tag -> {
            });
        }

        Delivery call(String queue, String body, String correlationId) throws IOException {
            await("a server consumes " + queue).atMost(Duration.ofSeconds(10))
                    .until(() -> TestBroker.get().consumerCount(queue) > 0);
            // headers of a request never travel back in its reply
            Map<String, Object> headers = Map.of("x-custom", "from the request",
                    RpcHeaders.DEADLINE, System.currentTimeMillis() + 10_000,
                    "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            // nor do its other properties
            AMQP.BasicProperties request = new AMQP.BasicProperties.Builder().correlationId(correlationId)
                    .replyTo(replyQueue).headers(headers).expiration("60000").messageId("request-1").priority(3)
                    .appId("a tutorial client").type("fib").contentType("application/x-request")
                    .userId(TestBroker.get().applicationProperties().get("rabbitmq.username")).build();
            channel.basicPublish("", queue, request, body.getBytes(StandardCharsets.UTF_8));
            await("the reply to " + body).atMost(Duration.ofSeconds(10)).until(() -> !replies.isEmpty());
            assertEquals(1, replies.size(), "one reply: " + replies);
            return replies.get(0);
        }

        void send(String queue, String body, String correlationId, Map<String, Object> headers) throws IOException {
            await("a server consumes " + queue).atMost(Duration.ofSeconds(10))
                    .until(() -> TestBroker.get().consumerCount(queue) > 0);
            channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(correlationId)
                    .replyTo(replyQueue).headers(headers).build(), body.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException, TimeoutException {
            connection.close();
        }
    }
}
