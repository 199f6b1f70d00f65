package io.fibonaccirpc;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Stopping a gateway or a server finishes the calls in flight and loses none. */
class GracefulStopTest {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void a_gateway_stopped_with_calls_in_flight_answers_them_before_it_stops() throws Exception {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "client");
        try (SilentServer slow = SilentServer.on(queue)) {
            RunningApplication gateway = RunningApplication.start(properties);
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, 5)
                    .mapToObj(n -> http.sendAsync(HttpRequest.newBuilder(gateway.uri("/fib/" + n)).build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .toList();
            await().atMost(Duration.ofSeconds(5)).until(() -> slow.received().size() == 5);

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(gateway::close);
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.camelContext().isStopping());
            // the slow server answers while the gateway is stopping
            for (Delivery request : slow.received()) {
                reply(request, FIBONACCI.of(Integer.parseInt(new String(request.getBody(), StandardCharsets.UTF_8))).toString());
            }
            stopping.get(30, TimeUnit.SECONDS);

            for (int n = 0; n < calls.size(); n++) {
                HttpResponse<String> response = calls.get(n).get(5, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(FIBONACCI.of(n).toString(), response.body());
            }
        }
    }

    @Test
    void a_server_stopped_under_load_leaves_no_request_unanswered() throws Exception {
        Map<String, String> first = RunningApplication.isolatedProperties(queue);
        first.put("rpc.role", "server");
        Map<String, String> second = RunningApplication.isolatedProperties(queue);
        second.put("rpc.role", "server");
        try (AmqpRpcCaller caller = AmqpRpcCaller.withDirectReplyTo(queue);
             RunningApplication stopped = RunningApplication.start(first);
             RunningApplication remaining = RunningApplication.start(second)) {
            List<CompletableFuture<AmqpRpcCaller.Reply>> replies = IntStream.range(0, 400)
                    .mapToObj(i -> caller.call(Integer.toString(5000 + i % 50))).toList();
            await().atMost(Duration.ofSeconds(10)).until(() -> replies.stream().filter(CompletableFuture::isDone).count() >= 20);

            stopped.close();

            for (int i = 0; i < replies.size(); i++) {
                AmqpRpcCaller.Reply reply = replies.get(i).get(30, TimeUnit.SECONDS);
                assertNull(reply.error());
                assertEquals(FIBONACCI.of(5000 + i % 50).toString(), reply.body());
            }
            assertEquals(0, TestBroker.get().queueDepth(queue));
            assertEquals(List.of(), caller.unmatchedReplies(), "no request answered twice");
        }
    }

    private static void reply(Delivery request, String body) throws Exception {
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.basicPublish("", request.getProperties().getReplyTo(),
                    new AMQP.BasicProperties.Builder().correlationId(request.getProperties().getCorrelationId()).build(),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }
}
