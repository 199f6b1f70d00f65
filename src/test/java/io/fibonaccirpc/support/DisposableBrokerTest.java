package io.fibonaccirpc.support;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault tests' own RabbitMQ node: it starts beside the shared broker, and its faults are real. */
class DisposableBrokerTest {

    private static DisposableBroker broker;

    @BeforeAll
    static void startBroker() {
        long started = System.nanoTime();
        broker = DisposableBroker.start();
        System.out.printf("%s started in %d ms%n", broker, (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void is_a_node_of_its_own_beside_the_shared_broker() {
        String status = broker.rabbitmqctl("status");

        assertTrue(broker.nodeName().startsWith("fibtest-"), broker.nodeName());
        assertTrue(status.contains("Node name: " + broker.nodeName()), status);
        assertTrue(status.contains("port: " + broker.amqpPort() + ", protocol: amqp"), status);
        assertTrue(status.contains("Enabled plugins:") && !status.contains("rabbitmq_management"), status);
        assertEquals(List.of(), broker.rabbitmqctl("--quiet", "list_queues", "name").lines()
                .filter(line -> !line.isBlank() && !line.equals("name")).toList(), "a fresh node has no queue");
    }

    @Test
    void carries_messages() throws Exception {
        try (Connection connection = broker.connect(); Channel channel = connection.createChannel()) {
            String queue = "smoke.carries";
            channel.queueDeclare(queue, false, false, false, null);
            channel.basicPublish("", queue, null, "30".getBytes(StandardCharsets.UTF_8));

            await().atMost(Duration.ofSeconds(5)).until(() -> broker.queueDepth(queue) == 1);
            GetResponse message = channel.basicGet(queue, true);
            assertEquals("30", new String(message.getBody(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void stop_app_closes_connections_and_refuses_new_ones_until_start_app() throws Exception {
        Connection connection = broker.connect("smoke stop_app");
        try {
            broker.stopApp();

            await("the broker closed the connection").atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
            assertThrows(IllegalStateException.class, broker::connect);
        } finally {
            broker.startApp();
        }
        try (Connection again = broker.connect()) {
            assertTrue(again.isOpen());
        }
    }

    @Test
    void closes_the_connections_whose_name_matches() {
        Connection victim = broker.connect("smoke victim");
        Connection bystander = broker.connect("smoke bystander");
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.connectionNames()
                    .containsAll(List.of("smoke victim", "smoke bystander")));

            assertEquals(1, broker.closeConnectionsMatching("victim", "smoke test"));

            await("the victim's connection closed").atMost(Duration.ofSeconds(5)).until(() -> !victim.isOpen());
            assertTrue(bystander.isOpen());
            assertTrue(victim.getCloseReason().getMessage().contains("smoke test"), victim.getCloseReason().getMessage());
        } finally {
            victim.abort();
            bystander.abort();
        }
    }

    @Test
    void a_tiny_memory_watermark_raises_the_alarm_and_blocks_publishers_until_restored() throws Exception {
        try (Connection connection = broker.connect("smoke publisher"); Channel channel = connection.createChannel()) {
            String queue = "smoke.memory-alarm";
            channel.queueDeclare(queue, false, false, false, null);
            try {
                broker.setMemoryHighWatermark(0.000001);
                await("the memory alarm").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().contains("memory"));

                channel.basicPublish("", queue, null, "1".getBytes(StandardCharsets.UTF_8));
                await("the publisher blocked").atMost(Duration.ofSeconds(10)).until(() -> blocked("smoke publisher"));
                assertEquals(0, broker.queueDepth(queue), "nothing enqueued while the alarm is on");
            } finally {
                broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            }
            await("the alarm cleared").atMost(Duration.ofSeconds(10)).until(() -> broker.alarms().isEmpty());
            await("the blocked publish went through").atMost(Duration.ofSeconds(10))
                    .until(() -> broker.queueDepth(queue) == 1);
        }
    }

    private static boolean blocked(String connectionName) {
        return broker.list("list_connections", "client_properties", "state").stream()
                .anyMatch(row -> String.valueOf(row.get("client_properties")).contains(connectionName)
                        && "blocked".equals(row.get("state")));
    }
}
