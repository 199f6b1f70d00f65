package io.fibonaccirpc.gateway;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.ScriptedReplyServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dead-letter queue is bounded at RPC_DEAD_LETTER_MAX_LENGTH records and RPC_DEAD_LETTER_MAX_BYTES, oldest
 * dropped: its declaration as the broker lists it, and what it keeps after more failed calls than fit.
 */
class DeadLetterBoundsTest {

    private static final int FAILED_CALLS = 6;

    private final String queue = RunningApplication.newQueueName();
    private final String deadLetters = queue + ".dead-letters";

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, deadLetters);
    }

    @Test
    void past_rpc_dead_letter_max_length_records_the_oldest_are_dropped() throws Exception {
        Map<String, String> properties = gatewayProperties("3", "67108864");
        try (ScriptedReplyServer server = ScriptedReplyServer.on(TestBroker.get(), queue,
                body -> new ScriptedReplyServer.Reply("not a number", null));
             RunningApplication gateway = RunningApplication.start(properties)) {
            assertEquals(Map.of("x-max-length", 3L, "x-max-length-bytes", 67108864L, "x-overflow", "drop-head"),
                    boundsOf(deadLetters));

            List<String> failed = failCalls(gateway);

            assertEquals(3, TestBroker.get().queueDepth(deadLetters), "records kept");
            assertEquals(failed.subList(FAILED_CALLS - 3, FAILED_CALLS), correlationIdsKept(),
                    "the newest records kept, in order");
        }
    }

    @Test
    void past_rpc_dead_letter_max_bytes_the_oldest_records_are_dropped() throws Exception {
        int maxBytes = 600;
        Map<String, String> properties = gatewayProperties("10000", Integer.toString(maxBytes));
        try (ScriptedReplyServer server = ScriptedReplyServer.on(TestBroker.get(), queue,
                body -> new ScriptedReplyServer.Reply("not a number", null));
             RunningApplication gateway = RunningApplication.start(properties)) {
            assertEquals(Map.of("x-max-length", 10000L, "x-max-length-bytes", (long) maxBytes, "x-overflow", "drop-head"),
                    boundsOf(deadLetters));

            List<String> failed = failCalls(gateway);

            List<byte[]> bodies = new ArrayList<>();
            List<String> kept = correlationIdsKept(bodies);
            int bytes = bodies.stream().mapToInt(body -> body.length).sum();
            int recordSize = bodies.get(0).length;
            System.out.printf("dead-letter records of %d bytes each: %d kept, %d bytes in all, of %d failed calls%n",
                    recordSize, kept.size(), bytes, FAILED_CALLS);
            assertTrue(bytes <= maxBytes, bytes + " bytes kept, at most " + maxBytes);
            assertEquals(maxBytes / recordSize, kept.size(), "as many records as fit in " + maxBytes + " bytes");
            assertEquals(failed.subList(FAILED_CALLS - kept.size(), FAILED_CALLS), kept,
                    "the newest records kept, in order");
        }
    }

    private Map<String, String> gatewayProperties(String maxLength, String maxBytes) {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.dead-letter-max-length", maxLength);
        properties.put("rpc.dead-letter-max-bytes", maxBytes);
        return properties;
    }

    /**
     * Calls that a server answers with something that is not a value (502 bad-reply, recorded); each waits for its
     * record to be published before the next. Their correlation ids, in order.
     */
    private static List<String> failCalls(RunningApplication gateway) {
        List<String> correlationIds = new ArrayList<>();
        for (int i = 1; i <= FAILED_CALLS; i++) {
            HttpResponse<String> response = Http.get(gateway.uri("/fib/" + i));
            assertEquals(502, response.statusCode(), response.body());
            correlationIds.add((String) Http.json(response.body()).get("correlationId"));
            double recorded = i;
            await("record " + i + " published").atMost(Duration.ofSeconds(10)).until(() ->
                    Scrape.of(gateway.uri("/observe/metrics")).value("fibonacci_rpc_gateway_dead_letters_total") >= recorded);
        }
        return correlationIds;
    }

    /** x-max-length, x-max-length-bytes and x-overflow of the queue, as {@code rabbitmqctl list_queues} shows them. */
    private static Map<String, Object> boundsOf(String name) {
        List<Map<String, Object>> rows = Rabbitmqctl.forTestBroker().list("list_queues", "name", "arguments").stream()
                .filter(row -> name.equals(row.get("name"))).toList();
        assertEquals(1, rows.size(), name + " declared: " + rows);
        System.out.println("the dead-letter queue's arguments as the broker lists them: " + rows.get(0).get("arguments"));
        // rabbitmqctl's JSON lists each argument as [name, type, value]
        @SuppressWarnings("unchecked")
        List<List<Object>> arguments = (List<List<Object>>) rows.get(0).get("arguments");
        Map<String, Object> bounds = new java.util.HashMap<>();
        for (List<Object> argument : arguments) {
            String key = (String) argument.get(0);
            Object value = argument.get(2);
            if (List.of("x-max-length", "x-max-length-bytes", "x-overflow").contains(key)) {
                bounds.put(key, value instanceof Number number ? (Object) number.longValue() : value);
            }
        }
        return bounds;
    }

    private List<String> correlationIdsKept() throws IOException, TimeoutException {
        return correlationIdsKept(new ArrayList<>());
    }

    /** Takes every record from the dead-letter queue: their correlation ids in queue order, their bodies. */
    private List<String> correlationIdsKept(List<byte[]> bodies) throws IOException, TimeoutException {
        List<String> correlationIds = new ArrayList<>();
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            for (GetResponse record = channel.basicGet(deadLetters, true); record != null;
                    record = channel.basicGet(deadLetters, true)) {
                correlationIds.add(record.getProps().getCorrelationId());
                bodies.add(record.getBody());
                assertTrue(new String(record.getBody(), StandardCharsets.UTF_8).contains(record.getProps().getCorrelationId()));
            }
        }
        return correlationIds;
    }
}
