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
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Stopping a gateway or a server finishes the calls in flight and loses none. */
class GracefulStopTest {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final FaultReport REPORT = FaultReport.of(GracefulStopTest.class);

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

            long stop = System.nanoTime();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(gateway::close);
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.camelContext().isStopping());
            // the slow server answers while the gateway is stopping
            for (Delivery request : slow.received()) {
                reply(request, FIBONACCI.of(Integer.parseInt(new String(request.getBody(), StandardCharsets.UTF_8))).toString());
            }
            stopping.get(30, TimeUnit.SECONDS);
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop);

            List<HttpResponse<String>> responses = calls.stream()
                    .map(call -> FaultReport.outcomeWithin(call, Duration.ofSeconds(5))).toList();
            FaultReport.Row row = REPORT.row("graceful stop: gateway")
                    .injected("the gateway stopped with 5 calls in flight; the server replies while it stops")
                    .wrong(IntStream.range(0, responses.size()).filter(n -> responses.get(n) != null
                            && responses.get(n).statusCode() == 200
                            && !FIBONACCI.of(n).toString().equals(responses.get(n).body())).count())
                    .staleNotObservable("the test plays the server")
                    .callersSaw("in flight at the stop: " + responses.stream()
                            .map(response -> response == null ? "no answer" : Integer.toString(response.statusCode()))
                            .toList() + "; the gateway stopped after " + stopMillis + " ms");
            responses.forEach(response -> row.http(response == null ? -1 : response.statusCode()));
            row.record();

            for (int n = 0; n < calls.size(); n++) {
                HttpResponse<String> response = responses.get(n);
                assertNotNull(response, "no answer to call " + n);
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

            long stop = System.nanoTime();
            stopped.close();
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stop);

            List<AmqpRpcCaller.Reply> outcomes = replies.stream()
                    .map(reply -> FaultReport.outcomeWithin(reply, Duration.ofSeconds(30))).toList();
            FaultReport.Row row = REPORT.row("graceful stop: server")
                    .injected("one of two servers stopped under 400 raw AMQP calls (n from 5000 to 5049)")
                    .wrong(IntStream.range(0, outcomes.size()).filter(i -> outcomes.get(i) != null
                            && outcomes.get(i).error() == null
                            && !FIBONACCI.of(5000 + i % 50).toString().equals(outcomes.get(i).body())).count())
                    .stale(caller.unmatchedReplies().size(), "replies to requests already answered, that is computed twice")
                    .callersSaw("the server stopped after " + stopMillis + " ms; requests left in the queue: "
                            + TestBroker.get().queueDepth(queue));
            outcomes.forEach(row::amqp);
            row.record();

            for (int i = 0; i < replies.size(); i++) {
                AmqpRpcCaller.Reply reply = outcomes.get(i);
                assertNotNull(reply, "no reply to call " + i);
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
