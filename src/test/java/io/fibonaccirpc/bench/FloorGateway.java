package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.support.TestBroker;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * The floor of an HTTP gateway on this machine: the least an HTTP-to-RPC bridge can do, with the same HTTP server
 * (Vert.x, one event loop, as platform-http runs it) and the same RabbitMQ client as the gateway, and nothing
 * else: no Camel, no Spring, no checks, no timeouts, no metrics. {@code GET /fib/n} publishes n on one channel
 * with a correlation id and the reply queue (exclusive, shared by every call, as the baseline caller's), and
 * writes the reply's body as the response on the request's event loop. The benchmark runs it against the
 * baseline server, to show what an HTTP leg costs here apart from what the gateway adds.
 * <p>
 * Usage: {@code java -cp <test class path> io.fibonaccirpc.bench.FloorGateway <queue> <port>}, with the broker
 * given by RABBITMQ_* and TEST_BROKER=local; see {@link BenchJvm} for its life.
 */
public final class FloorGateway {

    private record Waiting(HttpServerRequest request, Context context) {
    }

    private final Channel channel;
    private final String queue;
    private final String replyTo;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    private FloorGateway(Connection connection, String queue) throws IOException {
        this.channel = connection.createChannel();
        this.queue = queue;
        this.replyTo = channel.queueDeclare("", false, true, true, null).getQueue();
        channel.basicConsume(replyTo, true, (tag, delivery) -> reply(delivery), tag -> {
        });
    }

    public static void main(String[] args) throws Exception {
        String queue = args[0];
        int port = Integer.parseInt(args[1]);
        Connection connection = TestBroker.get().connectionFactory().newConnection("benchmark floor gateway");
        FloorGateway gateway = new FloorGateway(connection, queue);
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(gateway::call);
        server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        System.out.println("ready");
        System.out.flush();
        BenchJvm.awaitEndOfInput();
        vertx.close();
        connection.abort(5000);
    }

    /** Starts the gateway in a JVM of its own; returns once it listens on the port. */
    static Process start(String queue, int port) throws IOException {
        return BenchJvm.start("floor-gateway", FloorGateway.class, queue, Integer.toString(port));
    }

    /** On the event loop: publishes n, or answers 400 or 404 at once. */
    private void call(HttpServerRequest request) {
        String path = request.path();
        if (!path.startsWith("/fib/")) {
            request.response().setStatusCode(404).end();
            return;
        }
        String n = path.substring("/fib/".length());
        if (n.isEmpty() || n.length() > 6 || !n.chars().allMatch(Character::isDigit)) {
            request.response().setStatusCode(400).end("n must be a decimal integer");
            return;
        }
        String correlationId = UUID.randomUUID().toString();
        waiting.put(correlationId, new Waiting(request, Vertx.currentContext()));
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .correlationId(correlationId)
                .replyTo(replyTo)
                .build();
        try {
            synchronized (channel) {
                channel.basicPublish("", queue, properties, n.getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException | RuntimeException e) {
            waiting.remove(correlationId);
            request.response().setStatusCode(503).end("could not publish: " + e.getMessage());
        }
    }

    /** On the RabbitMQ client's thread: hands the reply to the request's event loop. */
    private void reply(Delivery delivery) {
        Waiting call = waiting.remove(String.valueOf(delivery.getProperties().getCorrelationId()));
        if (call == null) {
            return;
        }
        Map<String, Object> headers = delivery.getProperties().getHeaders();
        int status = headers != null && headers.containsKey("rpc-error") ? 502 : 200;
        Buffer body = Buffer.buffer(delivery.getBody());
        call.context().runOnContext(ignored -> call.request().response().setStatusCode(status)
                .putHeader("Content-Type", "text/plain").end(body));
    }
}
