package io.fibonaccirpc.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests wait in rpc_queue for a server; starting one answers them, it never purges them. */
class QueuedRequestsTest {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);

    @Test
    void requests_queued_before_any_server_runs_are_answered_when_one_starts() throws Exception {
        String queue = RunningApplication.newQueueName();
        try (Connection connection = TestBroker.get().connect(); Channel channel = connection.createChannel()) {
            channel.queueDeclare(queue, true, false, false, null);
        }
        try (AmqpRpcCaller caller = AmqpRpcCaller.withCallbackQueue(queue)) {
            List<CompletableFuture<AmqpRpcCaller.Reply>> replies = IntStream.rangeClosed(20, 29)
                    .mapToObj(n -> caller.call(Integer.toString(n))).toList();
            // published without confirms on the caller's connection: the broker counts them a moment later
            await("the requests wait in the queue").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> TestBroker.get().queueDepth(queue), depth -> depth == 10);

            Map<String, String> properties = RunningApplication.isolatedProperties(queue);
            properties.put("rpc.role", "server");
            try (RunningApplication server = RunningApplication.start(properties)) {
                for (int i = 0; i < replies.size(); i++) {
                    AmqpRpcCaller.Reply reply = replies.get(i).get(10, TimeUnit.SECONDS);
                    assertNull(reply.error());
                    assertEquals(FIBONACCI.of(20 + i).toString(), reply.body());
                }
                assertEquals(0, TestBroker.get().queueDepth(queue));
                assertTrue(caller.unmatchedReplies().isEmpty());
            }
        } finally {
            TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
        }
    }
}
