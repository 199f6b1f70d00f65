package io.fibonaccirpc.server;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.observe.RpcCounters;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.awaitility.core.ConditionTimeoutException;
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
    private static final FaultReport REPORT = FaultReport.of(ServerHardeningTest.class);
    /** How long after a later request's reply a reply that should never come is still looked for. */
    private static final Duration QUIET = Duration.ofSeconds(1);
    private static final String COMPUTED_TWICE = "replies whose call was already answered, that is computed twice";

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
        REPORT.row("poison: no reply_to")
                .injected("a raw AMQP request 30 with no reply_to")
                .unanswerable(1)
                .callersSaw("no reply (no address to reply to); dead-lettered with "
                        + deadLetter.getProps().getHeaders().get("rpc-error-reason") + "; requests left in the queue: "
                        + TestBroker.get().queueDepth(server.queue()))
                .record();
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
            // a good request after it: once the server has answered that, and for a while after, nothing is in victim
            AmqpRpcCaller.Reply good = FaultReport.outcomeWithin(caller.call("20"), Duration.ofSeconds(5));
            boolean victimUntouched = staysTrue(() -> channel.queueDeclarePassive(victim).getMessageCount() == 0);
            REPORT.row("poison: forbidden reply_to")
                    .injected("a raw AMQP request 30 whose reply_to is another application's queue")
                    .unanswerable(1)
                    .stale(channel.queueDeclarePassive(victim).getMessageCount(), "replies written into the other queue")
                    .callersSaw("no reply; dead-lettered with " + deadLetter.getProps().getHeaders().get("rpc-error-reason"))
                    .record();
            assertEquals("urn:fibonacci-rpc:problem:forbidden-reply-to",
                    deadLetter.getProps().getHeaders().get("rpc-error-reason").toString());
            assertEquals(victim, deadLetter.getProps().getHeaders().get("rpc-reply-to").toString());
            assertNotNull(good, "no reply within 5 s to the good request published after the refused one");
            assertEquals("6765", good.body(), "the good request's reply");
            assertTrue(victimUntouched, "nothing written to the victim, up to " + QUIET.toMillis() + " ms after the "
                    + "server answered a later request: " + channel.queueDeclarePassive(victim).getMessageCount()
                    + " messages");
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
        // a good request after it, on the same reply queue: its reply is the only one that comes, even a while after
        int unmatchedBefore = caller.unmatchedReplies().size();
        AmqpRpcCaller.Reply good = FaultReport.outcomeWithin(caller.call("20"), Duration.ofSeconds(5));
        boolean noReply = staysTrue(() -> !reply.isDone() && caller.unmatchedReplies().size() == unmatchedBefore);
        REPORT.row("poison: past its deadline")
                .injected("a raw AMQP request 30 whose rpc-deadline passed a second before it was published")
                .unanswerable(1)
                .stale(reply.isDone() ? 1 : 0, "replies to the caller who had given up")
                .callersSaw("no reply; dropped uncomputed (the server's count of expired requests went up by "
                        + (counters.expiredRequests().sum() - expiredBefore) + ")")
                .record();
        assertNotNull(good, "no reply within 5 s to the good request published after the expired one");
        assertEquals("6765", good.body(), "the good request's reply");
        assertTrue(noReply, "nobody is answered for a caller who gave up, up to " + QUIET.toMillis() + " ms after the "
                + "server answered a later request: " + (reply.isDone() ? reply.join() : caller.unmatchedReplies()));
        assertEquals(expiredBefore + 1, counters.expiredRequests().sum(), "expired requests counted");
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
            int unmatchedBefore = caller.unmatchedReplies().size();
            String contentType = body.getKey().startsWith("a serialized") ? "application/x-java-serialized-object" : null;
            long started = System.nanoTime();
            AmqpRpcCaller.Reply reply = FaultReport.outcomeWithin(caller.call(body.getValue(),
                    new AMQP.BasicProperties.Builder().correlationId(UUID.randomUUID().toString())
                            .contentType(contentType)), Duration.ofSeconds(5));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            REPORT.row("poison: " + body.getKey())
                    .injected("a raw AMQP request of " + body.getValue().length + " bytes: " + body.getKey())
                    .amqp(reply)
                    .stale(caller.unmatchedReplies().size() - unmatchedBefore, COMPUTED_TWICE)
                    .callersSaw(reply == null ? "no reply within 5 s" : "error reply " + reply.error() + " in "
                            + millis + " ms")
                    .record();

            assertNotNull(reply, body.getKey() + ": no reply within 5 s");
            String expected = body.getKey().equals("megabytes of digits") ? "OUT_OF_RANGE" : "INVALID_ARGUMENT";
            assertEquals(expected, reply.error(), body.getKey() + ": " + reply.body());
            assertFalse(reply.body().isBlank(), body.getKey());
            assertTrue(millis < 1000, body.getKey() + " answered in " + millis + " ms");
        }
        assertEquals(0, TestBroker.get().queueDepth(server.queue()), "acknowledged, not requeued");
    }

    @Test
    void poison_requests_do_not_hold_up_good_ones() throws Exception {
        int unmatchedBefore = caller.unmatchedReplies().size();
        byte[] poison = new byte[2 * 1024 * 1024];
        Arrays.fill(poison, (byte) 'x');
        List<CompletableFuture<AmqpRpcCaller.Reply>> refused = IntStream.range(0, 10)
                .mapToObj(i -> caller.call(poison, new AMQP.BasicProperties.Builder().correlationId("poison-" + i)))
                .toList();
        long started = System.nanoTime();
        List<CompletableFuture<AmqpRpcCaller.Reply>> good = IntStream.range(0, 50)
                .mapToObj(n -> caller.call(Integer.toString(n))).toList();
        List<AmqpRpcCaller.Reply> goodReplies = good.stream()
                .map(reply -> FaultReport.outcomeWithin(reply, Duration.ofSeconds(10))).toList();
        long goodMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        List<AmqpRpcCaller.Reply> refusedReplies = refused.stream()
                .map(reply -> FaultReport.outcomeWithin(reply, Duration.ofSeconds(10))).toList();
        FaultReport.Row row = REPORT.row("poison before good requests")
                .injected("10 raw AMQP requests of 2 MB of letters, then 50 good ones, on one connection")
                .wrong(IntStream.range(0, good.size()).filter(n -> goodReplies.get(n) != null
                        && goodReplies.get(n).error() == null
                        && !FIBONACCI.of(n).toString().equals(goodReplies.get(n).body())).count())
                .stale(caller.unmatchedReplies().size() - unmatchedBefore, COMPUTED_TWICE);
        goodReplies.forEach(row::amqp);
        refusedReplies.forEach(row::amqp);
        row.callersSaw(String.format("good: %d of %d right, the last within %d ms of publishing; poison: %s",
                        IntStream.range(0, good.size()).filter(n -> goodReplies.get(n) != null
                                && FIBONACCI.of(n).toString().equals(goodReplies.get(n).body())).count(),
                        good.size(), goodMillis, refusedReplies.stream()
                                .map(reply -> reply == null ? "no reply" : reply.error()).distinct().toList()))
                .record();

        for (int n = 0; n < good.size(); n++) {
            AmqpRpcCaller.Reply reply = goodReplies.get(n);
            assertNotNull(reply, "no reply to " + n);
            assertNull(reply.error());
            assertEquals(FIBONACCI.of(n).toString(), reply.body());
        }
        for (AmqpRpcCaller.Reply reply : refusedReplies) {
            assertNotNull(reply, "no reply to a poison request");
            assertEquals("INVALID_ARGUMENT", reply.error());
        }
    }

    @Test
    void request_headers_do_not_come_back_and_camel_headers_from_outside_are_ignored() throws Exception {
        int unmatchedBefore = caller.unmatchedReplies().size();
        AmqpRpcCaller.Reply reply = FaultReport.outcomeWithin(caller.call("20".getBytes(StandardCharsets.UTF_8),
                new AMQP.BasicProperties.Builder()
                        .correlationId(UUID.randomUUID().toString())
                        .headers(Map.of(
                                "x-secret", "s3cr3t",
                                "CamelSpringRabbitmqRoutingOverrideKey", server.deadLetterQueue(),
                                "CamelSpringRabbitmqExchangeOverrideName", "amq.fanout"))), Duration.ofSeconds(5));
        REPORT.row("hostile AMQP headers")
                .injected("a raw AMQP request 20 with x-secret and Camel headers that would reroute the reply")
                .amqp(reply)
                .wrong(reply != null && reply.error() == null && !"6765".equals(reply.body()) ? 1 : 0)
                .stale(caller.unmatchedReplies().size() - unmatchedBefore, COMPUTED_TWICE)
                .callersSaw((reply == null ? "no reply within 5 s" : "reply " + reply.body() + ", "
                        + reply.contentType() + ", headers " + reply.headers()) + "; messages rerouted to the "
                        + "dead-letter queue: " + TestBroker.get().queueDepth(server.deadLetterQueue()))
                .record();

        assertNotNull(reply, "no reply within 5 s");
        assertEquals("6765", reply.body());
        assertEquals("text/plain", reply.contentType());
        assertTrue(reply.headers().isEmpty(), "reply headers: " + reply.headers());
        assertEquals(0, TestBroker.get().queueDepth(server.deadLetterQueue()));
    }

    /**
     * Whether the condition holds for {@link #QUIET} on end (polled): a reply that was still on its way when the
     * server had answered a later request would come within that.
     */
    private static boolean staysTrue(Callable<Boolean> condition) {
        try {
            await().during(QUIET).atMost(QUIET.plusSeconds(1)).pollInterval(Duration.ofMillis(20)).until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
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
