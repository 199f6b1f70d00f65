package io.fibonaccirpc.support;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;

/**
 * A server that takes requests from a queue and never replies (a hung or slow server): it records what it
 * received, acknowledges nothing, and gives everything back when closed.
 */
public final class SilentServer implements AutoCloseable {

    private final Connection connection;
    private final List<Delivery> received = new CopyOnWriteArrayList<>();

    private SilentServer(Connection connection) {
        this.connection = connection;
    }

    /** Consumes the queue (declared durable if absent, as our server declares it). */
    public static SilentServer on(String queue) {
        Connection connection = TestBroker.get().connect();
        SilentServer server = new SilentServer(connection);
        try {
            Channel channel = connection.createChannel();
            channel.queueDeclare(queue, true, false, false, Broker.SERVER_QUEUE_ARGUMENTS);
            channel.basicConsume(queue, false, (tag, delivery) -> server.received.add(delivery), tag -> {
            });
        } catch (IOException e) {
            server.close();
            throw new IllegalStateException(e);
        }
        return server;
    }

    public List<Delivery> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (IOException | RuntimeException e) {
            // already closed: nothing left to give back
        }
    }
}
