package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.wire.Argument;
import io.fibonaccirpc.wire.RpcException;

/**
 * The baseline server, run by the benchmark as a process of its own: nothing but the RabbitMQ Java client and
 * {@link Fibonacci}. One consumer with a prefetch of its own on a queue that exists; each request is computed
 * on the client's consumer thread, replied to {@code reply_to} with its correlation id, then acknowledged.
 * It prints {@code ready} once it consumes, and exits when its standard input closes (so it never outlives the
 * benchmark).
 * <p>
 * Usage: {@code java -cp <test class path> io.fibonaccirpc.bench.BaselineServer <queue> <prefetch>}, with the
 * broker given by RABBITMQ_* and TEST_BROKER=local.
 */
public final class BaselineServer {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final Argument ARGUMENT = new Argument(Fibonacci.DEFAULT_MAX_N);

    private BaselineServer() {
    }

    public static void main(String[] args) throws Exception {
        String queue = args[0];
        int prefetch = Integer.parseInt(args[1]);
        Connection connection = TestBroker.get().connectionFactory().newConnection("benchmark baseline server");
        Channel channel = connection.createChannel();
        channel.basicQos(prefetch);
        channel.basicConsume(queue, false, (tag, delivery) -> answer(channel, delivery), tag -> {
        });
        System.out.println("ready");
        System.out.flush();
        BenchJvm.awaitEndOfInput();
        connection.abort(5000);
    }

    /** Starts the server in a JVM of its own ({@link BenchJvm}); returns once it consumes the queue. */
    static Process start(String queue, int prefetch) throws IOException {
        return BenchJvm.start("baseline-server", BaselineServer.class, queue, Integer.toString(prefetch));
    }

    private static void answer(Channel channel, Delivery request) throws IOException {
        AMQP.BasicProperties properties = request.getProperties();
        AMQP.BasicProperties.Builder reply = new AMQP.BasicProperties.Builder()
                .correlationId(properties.getCorrelationId())
                .contentType("text/plain");
        String body;
        try {
            body = FIBONACCI.of(ARGUMENT.parse(new String(request.getBody(), StandardCharsets.UTF_8))).toString();
        } catch (RpcException e) {
            reply.headers(Map.of("rpc-error", e.getError().name()));
            body = e.getMessage();
        }
        if (properties.getReplyTo() != null) {
            channel.basicPublish("", properties.getReplyTo(), reply.build(), body.getBytes(StandardCharsets.UTF_8));
        }
        channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
    }
}
