package io.fibonaccirpc.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

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
 * A caller's private reply queue of a name of its own (outside RPC_SERVER_REPLY_TO_PATTERN) is answered when it is
 * an exclusive queue of the caller's connection; a queue any connection may use (another application's work
 * queue, or a client's shared queue such as the C++ tutorial's durable auto-delete {@code rpc.reply.<tag>}) and an
 * unknown one are not: their requests are dead-lettered, nothing is written there.
 */
class PrivateReplyQueueTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String queue = RunningApplication.newQueueName();
    private final String privateReplies = "client.replies." + UUID.randomUUID();
    private final String otherApplication = "orders." + UUID.randomUUID();
    private final String sharedReplies = "rpc.reply." + UUID.randomUUID();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters", otherApplication, sharedReplies);
    }

    @Test
    void an_exclusive_reply_queue_of_the_callers_own_name_is_answered_and_a_queue_any_connection_may_use_is_not()
            throws Exception {
        try (RunningApplication server = start(true);
             Connection otherApp = TestBroker.get().connect();
             Connection caller = TestBroker.get().connect()) {
            otherApp.createChannel().queueDeclare(otherApplication, true, false, false, null);
            Channel channel = caller.createChannel();
            channel.queueDeclare(privateReplies, false, true, true, null);
            channel.queueDeclare(sharedReplies, true, false, true, null);
            List<Delivery> replies = new CopyOnWriteArrayList<>();
            channel.basicConsume(privateReplies, true, (tag, delivery) -> replies.add(delivery), tag -> {
            });

            publish(channel, "10", "private", privateReplies);
            publish(channel, "11", "other application", otherApplication);
            publish(channel, "12", "shared", sharedReplies);
            publish(channel, "13", "unknown", "no.such.queue." + UUID.randomUUID());
            publish(channel, "14", "private again", privateReplies);

            await("the replies to " + privateReplies).atMost(WAIT).until(() -> replies.size() == 2);
            // two consumers: in either order
            assertEquals(Set.of("private:55", "private again:377"), replies.stream()
                    .map(reply -> reply.getProperties().getCorrelationId() + ":"
                            + new String(reply.getBody(), StandardCharsets.UTF_8))
                    .collect(Collectors.toSet()));
            await("the refused requests dead-lettered").atMost(WAIT)
                    .until(() -> TestBroker.get().queueDepth(server.deadLetterQueue()) == 3);
            List<String> refused = new ArrayList<>();
            for (GetResponse record; (record = channel.basicGet(server.deadLetterQueue(), true)) != null; ) {
                assertEquals("urn:fibonacci-rpc:problem:forbidden-reply-to",
                        record.getProps().getHeaders().get("rpc-error-reason").toString());
                refused.add(record.getProps().getCorrelationId());
            }
            assertEquals(Set.of("other application", "shared", "unknown"), Set.copyOf(refused));
            assertEquals(0, TestBroker.get().queueDepth(otherApplication), "replies written into " + otherApplication);
            assertEquals(0, TestBroker.get().queueDepth(sharedReplies), "replies written into " + sharedReplies);
        }
    }

    @Test
    void with_private_reply_queues_off_an_exclusive_queue_outside_the_pattern_is_refused() throws Exception {
        try (RunningApplication server = start(false);
             Connection caller = TestBroker.get().connect()) {
            Channel channel = caller.createChannel();
            channel.queueDeclare(privateReplies, false, true, true, null);
            List<Delivery> replies = new CopyOnWriteArrayList<>();
            channel.basicConsume(privateReplies, true, (tag, delivery) -> replies.add(delivery), tag -> {
            });

            publish(channel, "10", "private", privateReplies);

            await("the request dead-lettered").atMost(WAIT)
                    .until(() -> TestBroker.get().queueDepth(server.deadLetterQueue()) == 1);
            assertEquals(List.of(), replies, "replies to " + privateReplies);
        }
    }

    private RunningApplication start(boolean privateReplyQueues) {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "server");
        properties.put("rpc.server.private-reply-queues", Boolean.toString(privateReplyQueues));
        RunningApplication server = RunningApplication.start(properties);
        await("the server consumes " + queue).atMost(WAIT).until(() -> TestBroker.get().consumerCount(queue) > 0);
        return server;
    }

    private void publish(Channel channel, String n, String correlationId, String replyTo) throws Exception {
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(correlationId)
                .replyTo(replyTo).build(), n.getBytes(StandardCharsets.UTF_8));
    }
}
