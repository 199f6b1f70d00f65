package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;

/**
 * A stand-in for the Fibonacci server, written with the RabbitMQ Java client, whose timing a test controls:
 * it consumes the request queue, holds each request for the delay its n asks for, then replies fib(n) to
 * {@code reply_to} with the request's correlation id and acknowledges it, as the real server does. It
 * records every request it received and every reply it sent, so a test can tell what was computed, and
 * for whom.
 */
public final class RpcServerDouble implements AutoCloseable {

    /** A request as it reached the server. */
    public record Request(String correlationId, String body, String replyTo, String expiration, boolean redelivered,
                          long receivedNanos) {
    }

    /** A reply the server published. */
    public record Reply(String correlationId, String body, long sentNanos) {
    }

    private final Connection connection;
    private final Channel channel;
    private final IntFunction<Duration> delayOfN;
    private final ScheduledExecutorService replies;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Reply> sent = new CopyOnWriteArrayList<>();

    private RpcServerDouble(Connection connection, IntFunction<Duration> delayOfN) throws IOException {
        this.connection = connection;
        this.delayOfN = delayOfN;
        this.channel = connection.createChannel();
        this.replies = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rpc-server-double replies");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts consuming the queue (declared durable, as the real server declares it), with a prefetch high
     * enough to hold many requests at once, on a connection named {@code fibonacci-rpc test double server}.
     *
     * @param delayOfN how long to hold the request for n before replying
     */
    public static RpcServerDouble start(ConnectionFactory factory, String queue, IntFunction<Duration> delayOfN) {
        Connection connection;
        try {
            connection = factory.newConnection("fibonacci-rpc test double server");
        } catch (IOException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the test double server cannot connect", e);
        }
        try {
            RpcServerDouble server = new RpcServerDouble(connection, delayOfN);
            server.consume(queue);
            return server;
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw new IllegalStateException("the test double server cannot consume " + queue, e);
        }
    }

    private void consume(String queue) throws IOException {
        channel.queueDeclare(queue, true, false, false, Broker.SERVER_QUEUE_ARGUMENTS);
        channel.basicQos(100);
        channel.basicConsume(queue, false, "rpc-server-double", (tag, delivery) -> onRequest(delivery), tag -> {
        });
    }

    private void onRequest(Delivery delivery) {
        AMQP.BasicProperties properties = delivery.getProperties();
        String body = new String(delivery.getBody(), StandardCharsets.UTF_8);
        requests.add(new Request(properties.getCorrelationId(), body, properties.getReplyTo(),
                properties.getExpiration(), delivery.getEnvelope().isRedeliver(), System.nanoTime()));
        int n = Integer.parseInt(body.strip());
        replies.schedule(() -> reply(delivery, n), delayOfN.apply(n).toMillis(), TimeUnit.MILLISECONDS);
    }

    private void reply(Delivery request, int n) {
        String correlationId = request.getProperties().getCorrelationId();
        String value = CallStream.fibonacci(n);
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .correlationId(correlationId)
                .contentType("text/plain")
                .build();
        try {
            synchronized (channel) {
                channel.basicPublish("", request.getProperties().getReplyTo(), properties,
                        value.getBytes(StandardCharsets.UTF_8));
                channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
            }
            sent.add(new Reply(correlationId, value, System.nanoTime()));
        } catch (IOException | RuntimeException e) {
            // the channel or connection is gone: the broker requeues the request
        }
    }

    /** Every request received so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The bodies (n) of the requests received so far. */
    public List<String> receivedBodies() {
        return requests.stream().map(Request::body).toList();
    }

    /**
     * The requests taken up for nobody, as {@link FaultReport} counts stale computations: those that arrived when
     * none of these calls for their n was in flight (its caller had been answered or had given up), and those
     * that arrived a second time (the same correlation id).
     *
     * @param calls every call the test made through the gateway in front of this server
     */
    public List<Request> staleRequests(Collection<CallStream.Call> calls) {
        Set<String> seen = new HashSet<>();
        return requests.stream()
                .filter(request -> !seen.add(String.valueOf(request.correlationId())) || calls.stream().noneMatch(call ->
                        String.valueOf(call.n()).equals(request.body().strip())
                                && request.receivedNanos() - call.startNanos() >= 0
                                && call.endNanos() - request.receivedNanos() >= 0))
                .toList();
    }

    /** Every reply published so far, in order. */
    public List<Reply> replies() {
        return List.copyOf(sent);
    }

    @Override
    public void close() {
        replies.shutdownNow();
        connection.abort();
    }
}
