package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;

/**
 * An RPC caller written with nothing but the RabbitMQ Java client, the way any AMQP application would call
 * the Fibonacci server: it publishes a body with {@code reply_to} and a fresh {@code correlation_id}, and
 * matches each reply to its call by correlation id. Many calls can be in flight at once.
 * <p>
 * Replies come either to an exclusive, server-named queue of its own (the tutorial's callback queue) or
 * through RabbitMQ direct reply-to ({@code amq.rabbitmq.reply-to}).
 */
public final class AmqpRpcCaller implements AutoCloseable {

    public static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

    /** A reply as the caller sees it: the body as text and the {@code rpc-error} header, null on success. */
    public record Reply(String correlationId, String body, String error, String contentType,
            Map<String, Object> headers) {
    }

    private final Connection connection;
    private final Channel channel;
    private final String queue;
    private final String replyTo;
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final List<Reply> unmatched = new CopyOnWriteArrayList<>();

    private AmqpRpcCaller(Connection connection, String queue, boolean directReplyTo) throws IOException {
        this.connection = connection;
        this.queue = queue;
        this.channel = connection.createChannel();
        if (directReplyTo) {
            // direct reply-to: consume the pseudo-queue, no ack, before publishing on the same channel
            replyTo = DIRECT_REPLY_TO;
        } else {
            replyTo = channel.queueDeclare("", false, true, true, null).getQueue();
        }
        channel.basicConsume(replyTo, true, (tag, delivery) -> onReply(delivery), tag -> {
        });
    }

    /** A caller with an exclusive, server-named callback queue, on a connection of its own. */
    public static AmqpRpcCaller withCallbackQueue(String queue) {
        return open(queue, false);
    }

    /** A caller that gets its replies through direct reply-to, on a connection of its own. */
    public static AmqpRpcCaller withDirectReplyTo(String queue) {
        return open(queue, true);
    }

    private static AmqpRpcCaller open(String queue, boolean directReplyTo) {
        Connection connection = TestBroker.get().connect();
        try {
            return new AmqpRpcCaller(connection, queue, directReplyTo);
        } catch (IOException | RuntimeException e) {
            closeQuietly(connection);
            throw new IllegalStateException("cannot set up the reply consumer", e);
        }
    }

    /** The queue replies come to: the callback queue's name, or {@value #DIRECT_REPLY_TO}. */
    public String replyTo() {
        return replyTo;
    }

    /** Publishes one request, with no content type like the tutorial; the future completes with its reply. */
    public CompletableFuture<Reply> call(String body) {
        return call(body, UUID.randomUUID().toString());
    }

    public CompletableFuture<Reply> call(String body, String correlationId) {
        return call(body.getBytes(StandardCharsets.UTF_8), new AMQP.BasicProperties.Builder().correlationId(correlationId));
    }

    /** Publishes any body with any properties; reply_to is this caller's, the correlation id must be set. */
    public CompletableFuture<Reply> call(byte[] body, AMQP.BasicProperties.Builder request) {
        AMQP.BasicProperties properties = request.replyTo(replyTo).build();
        String correlationId = properties.getCorrelationId();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(correlationId, reply);
        try {
            synchronized (channel) {
                channel.basicPublish("", queue, properties, body);
            }
        } catch (IOException e) {
            pending.remove(correlationId);
            reply.completeExceptionally(e);
        }
        return reply;
    }

    /** Replies whose correlation id matched no call in flight. */
    public List<Reply> unmatchedReplies() {
        return List.copyOf(unmatched);
    }

    private void onReply(Delivery delivery) {
        AMQP.BasicProperties properties = delivery.getProperties();
        Map<String, Object> headers = properties.getHeaders();
        Object error = headers == null ? null : headers.get("rpc-error");
        Reply reply = new Reply(properties.getCorrelationId(), new String(delivery.getBody(), StandardCharsets.UTF_8),
                error == null ? null : error.toString(), properties.getContentType(),
                headers == null ? Map.of() : Map.copyOf(headers));
        CompletableFuture<Reply> call = reply.correlationId() == null ? null : pending.remove(reply.correlationId());
        if (call == null) {
            unmatched.add(reply);
        } else {
            call.complete(reply);
        }
    }

    @Override
    public void close() {
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (IOException | RuntimeException e) {
            // already closed, or the broker went away: nothing left to release
        }
    }
}
