package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;

/**
 * A server, written with the RabbitMQ Java client, that answers each request with the reply a test scripts for its
 * body: any body, with or without an {@code rpc-error} header, as a faulty or foreign server might. It acknowledges
 * each request after replying.
 */
public final class ScriptedReplyServer implements AutoCloseable {

    /** A reply: its body, and the {@code rpc-error} header's code, or null for none. */
    public record Reply(String body, String errorCode) {
    }

    private final Connection connection;
    private final Channel channel;
    private final Function<String, Reply> replyTo;

    private ScriptedReplyServer(Connection connection, Function<String, Reply> replyTo) throws IOException {
        this.connection = connection;
        this.channel = connection.createChannel();
        this.replyTo = replyTo;
    }

    /**
     * Consumes the queue (declared durable if absent, as our server declares it).
     *
     * @param replyTo the reply to a request, by the request's body
     */
    public static ScriptedReplyServer on(Broker broker, String queue, Function<String, Reply> replyTo) {
        Connection connection = broker.connect();
        try {
            ScriptedReplyServer server = new ScriptedReplyServer(connection, replyTo);
            server.channel.queueDeclare(queue, true, false, false, Broker.SERVER_QUEUE_ARGUMENTS);
            server.channel.basicConsume(queue, false, (tag, delivery) -> server.reply(delivery), tag -> {
            });
            return server;
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw new IllegalStateException("the scripted server cannot consume " + queue, e);
        }
    }

    private void reply(Delivery request) throws IOException {
        Reply reply = replyTo.apply(new String(request.getBody(), StandardCharsets.UTF_8));
        Map<String, Object> headers = new HashMap<>();
        if (reply.errorCode() != null) {
            headers.put("rpc-error", reply.errorCode());
        }
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .correlationId(request.getProperties().getCorrelationId())
                .contentType("text/plain")
                .headers(headers)
                .build();
        channel.basicPublish("", request.getProperties().getReplyTo(), properties,
                reply.body().getBytes(StandardCharsets.UTF_8));
        channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
    }

    @Override
    public void close() {
        connection.abort();
    }
}
