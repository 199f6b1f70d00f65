package io.fibonaccirpc.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RPC_SERVER_REPLY_TO_PATTERN replaces the default reply addresses: a server that answers only {@code my.replies.*}
 * answers a request whose reply_to is such a queue, and dead-letters, unanswered, one whose reply_to is a
 * server-named {@code amq.gen-*} queue, which the default would have answered.
 */
class ReplyToPatternTest {

    private final String queue = RunningApplication.newQueueName();
    private final String ownReplies = "my.replies." + UUID.randomUUID();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters", ownReplies);
    }

    @Test
    void a_server_answers_the_reply_to_addresses_of_its_pattern_and_dead_letters_the_others_unanswered() throws Exception {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "server");
        properties.put("rpc.server.reply-to-pattern", "my\\.replies\\..+");
        try (RunningApplication server = RunningApplication.start(properties);
             Connection connection = TestBroker.get().connect()) {
            Channel channel = connection.createChannel();
            channel.queueDeclare(ownReplies, false, true, true, null);
            // not exclusive: an exclusive one would be answered as this connection's private reply queue
            String serverNamed = channel.queueDeclare("", false, false, true, null).getQueue();
            List<Delivery> toOwn = new CopyOnWriteArrayList<>();
            List<Delivery> toServerNamed = new CopyOnWriteArrayList<>();
            channel.basicConsume(ownReplies, true, (tag, delivery) -> toOwn.add(delivery), tag -> {
            });
            channel.basicConsume(serverNamed, true, (tag, delivery) -> toServerNamed.add(delivery), tag -> {
            });
            await("the server consumes " + queue).atMost(Duration.ofSeconds(10))
                    .until(() -> TestBroker.get().consumerCount(queue) > 0);

            String refused = UUID.randomUUID().toString();
            channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(refused)
                    .replyTo(serverNamed).build(), "11".getBytes(StandardCharsets.UTF_8));
            String answered = UUID.randomUUID().toString();
            channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(answered)
                    .replyTo(ownReplies).build(), "10".getBytes(StandardCharsets.UTF_8));

            await("the reply to " + ownReplies).atMost(Duration.ofSeconds(10)).until(() -> !toOwn.isEmpty());
            assertEquals("55", new String(toOwn.get(0).getBody(), StandardCharsets.UTF_8));
            assertEquals(answered, toOwn.get(0).getProperties().getCorrelationId());

            String deadLetters = server.deadLetterQueue();
            await("the refused request dead-lettered").atMost(Duration.ofSeconds(10))
                    .until(() -> TestBroker.get().queueDepth(deadLetters) == 1);
            GetResponse record = channel.basicGet(deadLetters, true);
            assertEquals(refused, record.getProps().getCorrelationId());
            assertEquals("urn:fibonacci-rpc:problem:forbidden-reply-to",
                    record.getProps().getHeaders().get("rpc-error-reason").toString());
            assertEquals(serverNamed, record.getProps().getHeaders().get("rpc-reply-to").toString());
            assertEquals("11", new String(record.getBody(), StandardCharsets.UTF_8));
            // the server is done with the refused request (its record is written): no reply came, none will
            assertEquals(List.of(), toServerNamed, "replies to " + serverNamed);
            assertEquals(1, toOwn.size(), "replies to " + ownReplies);
        }
    }
}
