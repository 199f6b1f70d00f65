package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;

/**
 * A server written with the RabbitMQ Java client that keeps every request as a consumer receives it (envelope,
 * properties, headers, body) and answers it as a tutorial server would: fib(n) as text to {@code reply_to} with the
 * request's correlation id, then acknowledges it. For tests of what travels on the wire.
 */
public final class RecordingReplyServer implements AutoCloseable {

    private final Connection connection;
    private final Channel channel;
    private final List<Delivery> received = new CopyOnWriteArrayList<>();

    private RecordingReplyServer(Connection connection) throws IOException {
        this.connection = connection;
        this.channel = connection.createChannel();
    }

    /** Consumes the queue (declared durable if absent, as our server declares it). */
    public static RecordingReplyServer on(Broker broker, String queue) {
        Connection connection = broker.connect();
        try {
            RecordingReplyServer server = new RecordingReplyServer(connection);
            server.channel.queueDeclare(queue, true, false, false, Broker.SERVER_QUEUE_ARGUMENTS);
            server.channel.basicConsume(queue, false, (tag, delivery) -> server.reply(delivery), tag -> {
            });
            return server;
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw new IllegalStateException("the recording server cannot consume " + queue, e);
        }
    }

    private void reply(Delivery request) throws IOException {
        received.add(request);
        String body = new String(request.getBody(), StandardCharsets.UTF_8).strip();
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .correlationId(request.getProperties().getCorrelationId())
                .contentType("text/plain")
                .build();
        channel.basicPublish("", request.getProperties().getReplyTo(), properties,
                CallStream.fibonacci(Integer.parseInt(body)).getBytes(StandardCharsets.UTF_8));
        channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
    }

    /** The requests received so far, in order. */
    public List<Delivery> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        connection.abort();
    }
}
