package io.fibonaccirpc.broker;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.contentType;
import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request queue's type (rpc.queue-type): a quorum queue by default (as today's tutorials declare it), a classic
 * durable queue when switched, as the broker itself reports it. Against the test broker (a single node: quorum queues work there too, with one
 * replica).
 */
class QueueTypeTest {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void by_default_servers_declare_a_quorum_queue_and_calls_are_answered() {
        try (RunningApplication application = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            assertEquals(Map.of("type", "quorum", "durable", true), queueTypeAndDurability(queue));
            assertEquals(Map.of("type", "quorum", "durable", true), queueTypeAndDurability(queue + ".dead-letters"),
                    "the dead-letter queue, declared again on every connection, must not depend on one node either");

            HttpResponse<String> text = get(application.uri("/fib/30"));
            assertEquals(200, text.statusCode(), text.body());
            assertEquals("832040", text.body());
            HttpResponse<String> value = get(application.uri("/fib/100000"), "Accept", "application/json");
            assertEquals(200, value.statusCode());
            assertEquals("application/json", contentType(value));
            assertEquals(new Fibonacci(Fibonacci.DEFAULT_MAX_N).of(100_000).toString(),
                    json(value.body()).get("fibonacci"));
            HttpResponse<String> refused = get(application.uri("/fib/-1"));
            assertEquals(400, refused.statusCode());
        }
    }

    @Test
    void switched_to_classic_servers_declare_a_classic_durable_queue() {
        try (RunningApplication application = RunningApplication.start(properties(queue, "rpc.queue-type", "classic"))) {
            assertEquals(Map.of("type", "classic", "durable", true), queueTypeAndDurability(queue));
            assertEquals(Map.of("type", "classic", "durable", true), queueTypeAndDurability(queue + ".dead-letters"));
            assertEquals("832040", get(application.uri("/fib/30")).body());
        }
    }

    /** The gateway stamps each request with an expiration; quorum queues honour it from RabbitMQ 3.10 on. */
    @Test
    void a_request_nobody_takes_expires_from_the_quorum_queue() throws Exception {
        try (RunningApplication server = RunningApplication.start(
                properties(queue, "rpc.queue-type", "quorum", "rpc.role", "server"))) {
            assertEquals("quorum", queueTypeAndDurability(queue).get("type"));
        }
        // the server has stopped; the queue stays. A request as our gateway publishes it, with 500 ms to live:
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            AMQP.BasicProperties request = new AMQP.BasicProperties.Builder()
                    .replyTo("amq.rabbitmq.reply-to.nobody").correlationId("expiring").expiration("500").build();
            channel.basicPublish("", queue, true, request, "30".getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(5000);
        }
        assertEquals(1, TestBroker.get().queueDepth(queue));

        await("the request dropped from " + queue).atMost(Duration.ofSeconds(10))
                .until(() -> TestBroker.get().queueDepth(queue) == 0);
    }

    /** Quorum queues support x-max-length with x-overflow=drop-head, which bounds the dead-letter queue. */
    @Test
    void the_quorum_dead_letter_queue_keeps_the_newest_records_up_to_its_maximum_length() throws Exception {
        String deadLetters = queue + ".dead-letters";
        try (RunningApplication server = RunningApplication.start(properties(queue, "rpc.queue-type", "quorum",
                "rpc.role", "server", "rpc.server.consumers", "1", "rpc.dead-letter-max-length", "2"))) {
            // requests whose reply_to is no reply address, one at a time: the server records each before the next
            // is sent (records published by the server back to back may reach the queue in another order)
            try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
                for (int i = 1; i <= 5; i++) {
                    AMQP.BasicProperties request = new AMQP.BasicProperties.Builder()
                            .replyTo("not-a-reply-address").correlationId("refused-" + i).build();
                    channel.basicPublish("", queue, request, "30".getBytes(StandardCharsets.UTF_8));
                    int recorded = i;
                    await("refused-" + i + " recorded").atMost(Duration.ofSeconds(10)).until(() -> Scrape
                            .of(server.uri("/observe/metrics")).value("fibonacci_rpc_server_dead_letters_total") == recorded);
                }
            }
            Rabbitmqctl rabbitmqctl = Rabbitmqctl.forTestBroker();
            await("the refused requests handled").atMost(Duration.ofSeconds(20))
                    .until(() -> messages(rabbitmqctl, queue) == 0 && messages(rabbitmqctl, deadLetters) >= 2);

            await("the dead-letter queue stays at its maximum").during(Duration.ofSeconds(1))
                    .atMost(Duration.ofSeconds(5)).until(() -> messages(rabbitmqctl, deadLetters) == 2);
            try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
                List<String> kept = List.of(channel.basicGet(deadLetters, true).getProps().getCorrelationId(),
                        channel.basicGet(deadLetters, true).getProps().getCorrelationId());
                assertEquals(List.of("refused-4", "refused-5"), kept, "the oldest records were dropped");
            }
        }
    }

    @Test
    void an_unknown_queue_type_stops_the_start_up_and_says_why() {
        Exception e = assertThrows(Exception.class,
                () -> RunningApplication.start(properties(queue, "rpc.queue-type", "stream")).close());

        assertTrue(causes(e).contains("rpc.queue-type (RPC_QUEUE_TYPE) must be classic or quorum, was 'stream'"),
                causes(e));
    }

    private static Map<String, String> properties(String queue, String... overrides) {
        Map<String, String> properties = new HashMap<>(RunningApplication.isolatedProperties(queue));
        for (int i = 0; i < overrides.length; i += 2) {
            properties.put(overrides[i], overrides[i + 1]);
        }
        return properties;
    }

    /** Messages in a queue, ready and unacknowledged, as the broker reports them. */
    private static long messages(Rabbitmqctl rabbitmqctl, String queue) {
        return rabbitmqctl.list("list_queues", "name", "messages").stream()
                .filter(row -> queue.equals(row.get("name")))
                .mapToLong(row -> ((Number) row.get("messages")).longValue())
                .findFirst()
                .orElseThrow(() -> new AssertionError("the broker has no queue " + queue));
    }

    /** The queue's type and durability as the broker reports them ({@code rabbitmqctl list_queues}). */
    static Map<String, Object> queueTypeAndDurability(String queue) {
        List<Map<String, Object>> rows = Rabbitmqctl.forTestBroker().list("list_queues", "name", "type", "durable");
        return rows.stream()
                .filter(row -> queue.equals(row.get("name")))
                .findFirst()
                .map(row -> Map.of("type", row.get("type"), "durable", row.get("durable")))
                .orElseThrow(() -> new AssertionError("the broker has no queue " + queue));
    }

    private static String causes(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
