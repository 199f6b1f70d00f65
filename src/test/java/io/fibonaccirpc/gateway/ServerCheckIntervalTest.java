package io.fibonaccirpc.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code RPC_SERVER_CHECK_INTERVAL}: what a gateway knows of the queue's consumers is at most that old. A server that
 * starts consuming is answering calls within the interval; once the last server is gone, every call that starts an
 * interval later is told 503 {@code no-server} at once, none is published to wait for its timeout.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServerCheckIntervalTest {

    private static final long CHECK_INTERVAL_MILLIS = 3000;
    /** Beyond the interval: the look itself, a call's own time, a loaded machine. */
    private static final long MARGIN_MILLIS = 1000;
    private static final Duration CALL_PACE = Duration.ofMillis(50);

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void what_the_gateway_knows_of_the_servers_is_at_most_one_check_interval_old() throws Exception {
        TestBroker.get().declareQueue(queue);
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.server-check-interval", Long.toString(CHECK_INTERVAL_MILLIS));
        properties.put("rpc.reply-timeout", "1000");
        try (RunningApplication gateway = RunningApplication.start(properties)) {
            assertEquals("urn:fibonacci-rpc:problem:no-server",
                    Http.json(Http.get(gateway.uri("/fib/1")).body()).get("type"), "no server yet");

            long serverStarted;
            List<Call> untilAnswered = new ArrayList<>();
            try (RpcServerDouble server = RpcServerDouble.start(TestBroker.get().connectionFactory(), queue,
                    n -> Duration.ZERO)) {
                serverStarted = System.nanoTime();
                await("a call answered").atMost(Duration.ofMillis(CHECK_INTERVAL_MILLIS + MARGIN_MILLIS))
                        .pollInterval(CALL_PACE).until(() -> {
                            Call call = CallStream.call(gateway.uri("/"), 20, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
                            untilAnswered.add(call);
                            return call.right();
                        });
            }
            long firstAnswerMillis = TimeUnit.NANOSECONDS.toMillis(untilAnswered.get(untilAnswered.size() - 1).endNanos()
                    - serverStarted);
            await("the server's consumer gone").atMost(Duration.ofSeconds(5))
                    .until(() -> TestBroker.get().consumerCount(queue) == 0);
            long serverGone = System.nanoTime();

            List<Call> afterServer = new ArrayList<>();
            long settled = serverGone + TimeUnit.MILLISECONDS.toNanos(CHECK_INTERVAL_MILLIS + MARGIN_MILLIS);
            await("calls for an interval after the server went").atMost(Duration.ofSeconds(20)).pollInterval(CALL_PACE)
                    .until(() -> {
                        afterServer.add(CallStream.call(gateway.uri("/"), 21, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
                        return afterServer.stream().filter(call -> call.startedAfter(settled)).count() >= 10;
                    });
            System.out.printf("check interval %d ms: first answer %d ms after the server consumed; after it went: %s%n",
                    CHECK_INTERVAL_MILLIS, firstAnswerMillis, afterServer.stream()
                            .map(call -> TimeUnit.NANOSECONDS.toMillis(call.startNanos() - serverGone) + " ms: "
                                    + call.status()).toList());

            assertTrue(firstAnswerMillis <= CHECK_INTERVAL_MILLIS + MARGIN_MILLIS, "a new server answers within the "
                    + "check interval: " + firstAnswerMillis + " ms");
            for (Call call : afterServer) {
                if (call.startedAfter(settled)) {
                    assertEquals(503, call.status(), "a call an interval after the last server went: " + call);
                    assertEquals("urn:fibonacci-rpc:problem:no-server", Http.json(call.body()).get("type"), call.body());
                    assertTrue(call.millis() < 500, "told at once: " + call);
                }
            }
        }
    }
}
