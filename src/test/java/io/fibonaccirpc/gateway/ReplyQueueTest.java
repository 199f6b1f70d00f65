package io.fibonaccirpc.gateway;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.tuning.RpcCallTemplate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's callback queue as the broker lists it ({@code rabbitmqctl list_queues}, {@code list_consumers}: read
 * only): {@code <RPC_QUEUE>.replies.<random>}, exclusive, one consumer that acknowledges nothing, the reply_to of every
 * request.
 */
class ReplyQueueTest {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void the_gateway_waits_for_replies_on_one_exclusive_queue_of_its_own_consumed_without_acknowledgements() {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        try (RpcServerDouble server = RpcServerDouble.start(TestBroker.get().connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            for (int n : new int[] { 10, 11, 12 }) {
                HttpResponse<String> response = Http.get(gateway.uri("/fib/" + n));
                assertEquals(200, response.statusCode(), response.body());
            }
            List<String> replyTos = server.requests().stream().map(RpcServerDouble.Request::replyTo).distinct().toList();
            assertEquals(1, replyTos.size(), "every request names the same reply queue: " + replyTos);
            String replyQueue = replyTos.get(0);
            assertTrue(Pattern.matches(Pattern.quote(queue) + "\\.replies\\.[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}",
                    replyQueue), "<RPC_QUEUE>.replies.<random>: " + replyQueue);

            Rabbitmqctl rabbitmqctl = Rabbitmqctl.forTestBroker();
            List<Map<String, Object>> replyQueues = rabbitmqctl.list("list_queues", "name", "exclusive", "durable",
                    "auto_delete").stream()
                    .filter(row -> String.valueOf(row.get("name")).startsWith(queue + RpcCallTemplate.REPLY_QUEUE_INFIX))
                    .toList();
            System.out.println("the gateway's reply queues as the broker lists them: " + replyQueues);
            assertEquals(1, replyQueues.size(), "one reply queue: " + replyQueues);
            assertEquals(replyQueue, replyQueues.get(0).get("name"));
            assertEquals(Boolean.TRUE, replyQueues.get(0).get("exclusive"), replyQueues.toString());

            List<Map<String, Object>> consumers = rabbitmqctl.list("list_consumers", "queue_name", "ack_required").stream()
                    .filter(row -> replyQueue.equals(row.get("queue_name"))).toList();
            System.out.println("its consumers: " + consumers);
            assertEquals(1, consumers.size(), "one consumer of " + replyQueue + ": " + consumers);
            assertEquals(Boolean.FALSE, consumers.get(0).get("ack_required"), "consumed without acknowledgements: "
                    + consumers);
        }
    }
}
