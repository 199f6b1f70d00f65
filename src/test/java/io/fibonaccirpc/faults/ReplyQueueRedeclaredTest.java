package io.fibonaccirpc.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gateway's exclusive reply queue goes with its connection and is declared again with the next one: after the
 * broker closes the gateway's connection, the broker lists the queue of the same name again, exclusive to a new
 * connection, with one consumer that acknowledges nothing, and calls are answered through it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplyQueueRedeclaredTest extends WithDisposableBroker {

    @Test
    void after_the_gateways_connection_is_closed_its_reply_queue_is_declared_again_exclusive_to_the_new_connection() {
        String queue = RunningApplication.newQueueName();
        Map<String, String> properties = FaultApplications.properties(broker, queue, "gateway", 3000);
        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ZERO);
             RunningApplication gateway = RunningApplication.start(properties)) {
            HttpResponse<String> before = Http.get(gateway.uri("/fib/10"));
            assertEquals(200, before.statusCode(), before.body());
            String replyQueue = server.requests().get(0).replyTo();
            Map<String, Object> declared = replyQueueRow(replyQueue);
            assertEquals(Boolean.TRUE, declared.get("exclusive"), declared.toString());

            assertEquals(1, broker.closeConnectionsMatching("fibonacci-rpc gateway", "fault test: connection closed"));

            Map<String, Object> again = await("the reply queue declared again by a new connection")
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> replyQueueRow(replyQueue),
                            row -> row != null && !localPid(declared).equals(localPid(row)));
            System.out.println("the reply queue before the connection was closed: " + declared + "; after: " + again);
            assertEquals(Boolean.TRUE, again.get("exclusive"), again.toString());
            List<Map<String, Object>> consumers = await("its consumer back").atMost(Duration.ofSeconds(10))
                    .until(() -> broker.list("list_consumers", "queue_name", "ack_required").stream()
                            .filter(row -> replyQueue.equals(row.get("queue_name"))).toList(), rows -> !rows.isEmpty());
            assertEquals(List.of(Map.of("queue_name", replyQueue, "ack_required", false)), consumers);

            HttpResponse<String> after = await("a call answered after the connection was closed")
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Http.get(gateway.uri("/fib/11")), response -> response.statusCode() == 200);
            assertEquals("89", after.body());
            RpcServerDouble.Request last = server.requests().get(server.requests().size() - 1);
            assertEquals(replyQueue, last.replyTo(), "the same reply queue");
        }
    }

    /**
     * The owner's pid without its first part, which numbers the broker's node as seen from one rabbitmqctl run and
     * may change from run to run: {@code #PID<10987.741.0>} is {@code 741.0}.
     */
    private static String localPid(Map<String, Object> row) {
        String pid = String.valueOf(row.get("owner_pid"));
        return pid.substring(pid.indexOf('.') + 1);
    }

    /** The broker's row of this queue (name, exclusive, owner_pid), or null when it is not declared. */
    private static Map<String, Object> replyQueueRow(String name) {
        return broker.list("list_queues", "name", "exclusive", "owner_pid").stream()
                .filter(row -> name.equals(row.get("name"))).findFirst().orElse(null);
    }
}
