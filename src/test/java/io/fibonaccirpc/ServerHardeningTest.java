package io.fibonaccirpc;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What our server does with requests that cannot or must not be computed, published raw over AMQP. */
class ServerHardeningTest {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);

    private static RunningApplication server;
    private static AmqpRpcCaller caller;

    @BeforeAll
    static void startServer() {
        Map<String, String> properties = RunningApplication.isolatedProperties(RunningApplication.newQueueName());
        properties.put("rpc.role", "server");
        server = RunningApplication.start(properties);
        caller = AmqpRpcCaller.withDirectReplyTo(server.queue());
    }

    @AfterAll
    static void stopServer() {
        caller.close();
        server.close();
        TestBroker.get().deleteQueues(server.queue(), server.deadLetterQueue());
    }

    @BeforeEach
    void emptyDeadLetters() throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.queuePurge(server.deadLetterQueue());
        }
    }

    @Test
    void a_request_without_reply_to_is_dead_lettered_with_its_reason_and_not_answered() throws Exception {
        String correlationId = UUID.randomUUID().toString();
        publishRaw("30", new AMQP.BasicProperties.Builder().correlationId(correlationId));

        GetResponse deadLetter = awaitDeadLetter();
        assertEquals("30", new String(deadLetter.getBody(), StandardCharsets.UTF_8));
        assertEquals(correlationId, deadLetter.getProps().getCorrelationId());
        assertEquals("urn:fibonacci-rpc:problem:no-reply-to",
                deadLetter.getProps().getHeaders().get("rpc-error-reason").toString());
        assertEquals(0, TestBroker.get().queueDepth(server.queue()));
    }

    @Test
    void a_reply_to_that_is_not_a_reply_address_gets_nothing_written_into_it() throws Exception {
        String victim = "victim." + UUID.randomUUID();
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.queueDeclare(victim, true, false, false, null);
            publishRaw("30", new AMQP.BasicProperties.Builder().correlationId("c1").replyTo(victim));

            GetResponse deadLetter = awaitDeadLetter();
            assertEquals("urn:fibonacci-rpc:problem:forbidden-reply-to",
                    deadLetter.getProps().getHeaders().get("rpc-error-reason").toString());
            assertEquals(victim, deadLetter.getProps().getHeaders().get("rpc-reply-to").toString());
            assertEquals(0, channel.queueDeclarePassive(victim).getMessageCount(), "nothing written to the victim");
        } finally {
            TestBroker.get().deleteQueues(victim);
        }
    }

    @Test
    void a_request_past_its_callers_deadline_is_dropped_uncomputed() throws Exception {
        RpcCounters counters = server.camelContext().getRegistry().lookupByNameAndType("rpcCounters", RpcCounters.class);
        long expiredBefore = counters.expiredRequests().sum();

        CompletableFuture<AmqpRpcCaller.Reply> reply = caller.call("30".getBytes(StandardCharsets.UTF_8),
                new AMQP.BasicProperties.Builder().correlationId(UUID.randomUUID().toString())
                        .headers(Map.of("rpc-deadline", System.currentTimeMillis() - 1000)));

        await().atMost(Duration.ofSeconds(5)).until(() -> counters.expiredRequests().sum() == expiredBefore + 1);
        assertFalse(reply.isDone(), "nobody is answered for a caller who gave up");
        assertEquals(0, TestBroker.get().queueDepth(server.queue()));
        assertEquals(0, TestBroker.get().queueDepth(server.deadLetterQueue()));
    }

    @Test
    void requests_that_can_never_succeed_get_error_replies_within_milliseconds() throws Exception {
        byte[] megabytes = new byte[4 * 1024 * 1024];
        Arrays.fill(megabytes, (byte) '7');
        ByteArrayOutputStream serialized = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(serialized)) {
            out.writeObject(Integer.valueOf(30));
        }
        Map<String, byte[]> bodies = Map.of(
                "megabytes of digits", megabytes,
                "UTF-16 text", "30".getBytes(StandardCharsets.UTF_16),
                "a serialized Java object", serialized.toByteArray(),
                "invalid UTF-8", new byte[] { (byte) 0xC3, (byte) 0x28 },
                "empty", new byte[0]);

        for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
            String contentType = body.getKey().startsWith("a serialized") ? "application/x-java-serialized-object" : null;
            long started = System.nanoTime();
            AmqpRpcCaller.Reply reply = caller.call(body.getValue(), new AMQP.BasicProperties.Builder()
                    .correlationId(UUID.randomUUID().toString()).contentType(contentType)).get(5, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            String expected = body.getKey().equals("megabytes of digits") ? "OUT_OF_RANGE" : "INVALID_ARGUMENT";
            assertEquals(expected, reply.error(), body.getKey() + ": " + reply.body());
            assertFalse(reply.body().isBlank(), body.getKey());
            assertTrue(millis < 1000, body.getKey() + " answered in " + millis + " ms");
        }
        assertEquals(0, TestBroker.get().queueDepth(server.queue()), "acknowledged, not requeued");
    }

    @Test
    void poison_requests_do_not_hold_up_good_ones() throws Exception {
        byte[] poison = new byte[2 * 1024 * 1024];
        Arrays.fill(poison, (byte) 'x');
        List<CompletableFuture<AmqpRpcCaller.Reply>> refused = IntStream.range(0, 10)
                .mapToObj(i -> caller.call(poison, new AMQP.BasicProperties.Builder().correlationId("poison-" + i)))
                .toList();
        List<CompletableFuture<AmqpRpcCaller.Reply>> good = IntStream.range(0, 50)
                .mapToObj(n -> caller.call(Integer.toString(n))).toList();

        for (int n = 0; n < good.size(); n++) {
            AmqpRpcCaller.Reply reply = good.get(n).get(10, TimeUnit.SECONDS);
            assertNull(reply.error());
            assertEquals(FIBONACCI.of(n).toString(), reply.body());
        }
        for (CompletableFuture<AmqpRpcCaller.Reply> reply : refused) {
            assertEquals("INVALID_ARGUMENT", reply.get(10, TimeUnit.SECONDS).error());
        }
    }

    @Test
    void request_headers_do_not_come_back_and_camel_headers_from_outside_are_ignored() throws Exception {
        AmqpRpcCaller.Reply reply = caller.call("20".getBytes(StandardCharsets.UTF_8), new AMQP.BasicProperties.Builder()
                .correlationId(UUID.randomUUID().toString())
                .headers(Map.of(
                        "x-secret", "s3cr3t",
                        "CamelSpringRabbitmqRoutingOverrideKey", server.deadLetterQueue(),
                        "CamelSpringRabbitmqExchangeOverrideName", "amq.fanout")))
                .get(5, TimeUnit.SECONDS);

        assertEquals("6765", reply.body());
        assertEquals("text/plain", reply.contentType());
        assertTrue(reply.headers().isEmpty(), "reply headers: " + reply.headers());
        assertEquals(0, TestBroker.get().queueDepth(server.deadLetterQueue()));
    }

    private static void publishRaw(String body, AMQP.BasicProperties.Builder properties) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", server.queue(), properties.build(), body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static GetResponse awaitDeadLetter() throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            GetResponse[] got = new GetResponse[1];
            await().atMost(Duration.ofSeconds(5)).until(() -> (got[0] = channel.basicGet(server.deadLetterQueue(), true)) != null);
            assertNotNull(got[0]);
            return got[0];
        }
    }
}
