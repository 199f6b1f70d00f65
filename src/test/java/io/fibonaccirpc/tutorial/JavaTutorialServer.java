package io.fibonaccirpc.tutorial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;

/**
 * The server of RabbitMQ's Java RPC tutorial (tutorial six, {@code java/RPCServer.java}), run in the test JVM
 * on its own connection: it declares the queue as the chosen version of the tutorial does, purges it, sets
 * prefetch 1 and consumes with manual acks. Each request body is read as UTF-8 and parsed with
 * {@link Integer#parseInt}; the reply is fib(n) in Java {@code int}s by the tutorial's loop (so it wraps past
 * fib(46)), or an empty body when the parse fails, published to {@code reply_to} on the default exchange with
 * the request's correlation id as its only property; then the request is acknowledged.
 * <p>
 * Both declarations use today's loop: the older file's naive recursion gives the same {@code int} values for
 * every n &ge; 0, only slower (and a StackOverflowError for a negative n, where the loop gives 0).
 * <p>
 * It records how many requests it served and the headers of the last one.
 */
public final class JavaTutorialServer implements AutoCloseable {

    /** How the server declares the RPC queue before it purges and consumes it. */
    public enum Declaration {

        /** {@code RPCServer.java} since the tutorials moved to quorum queues: durable, {@code x-queue-type: quorum}. */
        TODAY {
            @Override
            void declare(Channel channel, String queue) throws IOException {
                channel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "quorum"));
            }
        },

        /** {@code RPCServer.java} before that: a non-durable classic queue, no arguments. */
        LEGACY {
            @Override
            void declare(Channel channel, String queue) throws IOException {
                channel.queueDeclare(queue, false, false, false, null);
            }
        };

        abstract void declare(Channel channel, String queue) throws IOException;
    }

    private final Connection connection;
    private final Channel channel;
    private final String queue;
    private final Declaration declaration;
    private final AtomicInteger served = new AtomicInteger();
    private volatile Map<String, Object> lastRequestHeaders;

    private JavaTutorialServer(Connection connection, Channel channel, String queue, Declaration declaration) {
        this.connection = connection;
        this.channel = channel;
        this.queue = queue;
        this.declaration = declaration;
    }

    /**
     * Connects, declares and purges the queue, sets prefetch 1 and consumes it. A declaration the broker refuses
     * (406 PRECONDITION_FAILED when the queue exists with other properties) is thrown as the IOException the
     * client gives, as it would end the tutorial's main().
     */
    public static JavaTutorialServer start(ConnectionFactory factory, String queue, Declaration declaration)
            throws IOException {
        Connection connection;
        try {
            connection = factory.newConnection("java tutorial server (" + declaration + ")");
        } catch (TimeoutException e) {
            throw new IOException("the tutorial server cannot connect", e);
        }
        try {
            Channel channel = connection.createChannel();
            declaration.declare(channel, queue);
            channel.queuePurge(queue);
            channel.basicQos(1);
            JavaTutorialServer server = new JavaTutorialServer(connection, channel, queue, declaration);
            channel.basicConsume(queue, false, (consumerTag, delivery) -> server.serve(delivery), consumerTag -> {
            });
            return server;
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw e;
        }
    }

    /** The tutorial's fib: a loop in {@code int}s, 0 for a negative n. */
    static int fib(int n) {
        int current = 0;
        int next = 1;
        for (int i = 0; i < n; i++) {
            int sum = current + next;
            current = next;
            next = sum;
        }
        return current;
    }

    private void serve(Delivery request) throws IOException {
        AMQP.BasicProperties properties = request.getProperties();
        AMQP.BasicProperties replyProperties = new AMQP.BasicProperties.Builder()
                .correlationId(properties.getCorrelationId())
                .build();
        String response = "";
        try {
            int n = Integer.parseInt(new String(request.getBody(), StandardCharsets.UTF_8));
            response += fib(n);
        } catch (RuntimeException e) {
            // as the tutorial: it only prints the exception, and the reply goes out empty
        } finally {
            // recorded before the reply leaves, so whoever has the reply sees the count that includes it
            lastRequestHeaders = Reply.readable(properties.getHeaders());
            served.incrementAndGet();
            channel.basicPublish("", properties.getReplyTo(), replyProperties,
                    response.getBytes(StandardCharsets.UTF_8));
            channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
        }
    }

    public String queue() {
        return queue;
    }

    public Declaration declaration() {
        return declaration;
    }

    /** Requests answered so far. */
    public int served() {
        return served.get();
    }

    /** The headers of the last request served (text headers as strings), or null before the first one. */
    public Map<String, Object> lastRequestHeaders() {
        return lastRequestHeaders;
    }

    /** Closes its connection: unacknowledged requests go back to the queue. */
    @Override
    public void close() throws IOException {
        try {
            connection.close(5_000);
        } catch (AlreadyClosedException e) {
            // the broker closed it already
        }
    }
}
