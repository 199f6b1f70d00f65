package io.fibonaccirpc.tutorial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * The client of RabbitMQ's Java RPC tutorial (tutorial six, {@code java/RPCClient.java}), run in the test JVM
 * on its own connection and channel. For each call it declares a server-named callback queue with
 * {@code queueDeclare()} (exclusive, auto-delete), publishes the body as given (UTF-8) on the default exchange
 * to the request queue with {@code reply_to} and a random UUID as {@code correlation_id}, consumes the callback
 * queue with auto-ack and waits for the reply with that id, then cancels the consumer, which deletes the
 * queue. Like the tutorial it never declares the request queue (no version of it did), and it makes one call
 * at a time. Unlike the tutorial it waits for a bounded time.
 */
public final class JavaTutorialClient implements AutoCloseable {

    private final Connection connection;
    private final Channel channel;
    private final String requestQueue;

    private JavaTutorialClient(Connection connection, Channel channel, String requestQueue) {
        this.connection = connection;
        this.channel = channel;
        this.requestQueue = requestQueue;
    }

    /** A client of the queue, on a connection of its own. */
    public static JavaTutorialClient connect(ConnectionFactory factory, String requestQueue) throws IOException {
        Connection connection;
        try {
            connection = factory.newConnection("java tutorial client");
        } catch (TimeoutException e) {
            throw new IOException("the tutorial client cannot connect", e);
        }
        try {
            return new JavaTutorialClient(connection, connection.createChannel(), requestQueue);
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw e;
        }
    }

    /** The raw reply body, as the tutorial's call() returns it. */
    public String call(String body, Duration timeout) throws IOException, InterruptedException, TimeoutException {
        return exchange(body, timeout).body();
    }

    /** The whole reply: body, {@code rpc-error} header, correlation id and headers. */
    public Reply exchange(String body, Duration timeout) throws IOException, InterruptedException, TimeoutException {
        String correlationId = UUID.randomUUID().toString();
        String replyQueue = channel.queueDeclare().getQueue();
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .correlationId(correlationId)
                .replyTo(replyQueue)
                .build();
        channel.basicPublish("", requestQueue, properties, body.getBytes(StandardCharsets.UTF_8));

        CompletableFuture<Reply> reply = new CompletableFuture<>();
        String consumerTag = channel.basicConsume(replyQueue, true, (tag, delivery) -> {
            if (correlationId.equals(delivery.getProperties().getCorrelationId())) {
                reply.complete(Reply.of(delivery.getProperties(), delivery.getBody()));
            }
        }, tag -> {
        });
        try {
            return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the reply future never fails", e);
        } catch (TimeoutException e) {
            TimeoutException timedOut = new TimeoutException("no reply to '" + body + "' on " + requestQueue
                    + " within " + timeout + " (correlation id " + correlationId + ")");
            timedOut.initCause(e);
            throw timedOut;
        } finally {
            if (channel.isOpen()) {
                channel.basicCancel(consumerTag);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            connection.close(5_000);
        } catch (AlreadyClosedException e) {
            // the broker closed it already
        }
    }
}
