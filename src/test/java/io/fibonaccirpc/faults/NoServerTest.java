package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway with nothing behind it fails fast: when the request queue does not exist, or exists with no
 * server consuming it, the caller gets a 503 problem saying which, in well under a second, instead of waiting
 * for the reply timeout; and no request is left behind to be computed for nobody.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NoServerTest extends WithDisposableBroker {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final long FAST_FAILURE_MILLIS = 500;
    private static final Pattern NO_QUEUE = Pattern.compile("(?i)(does not exist|doesn't exist|no such queue|not found|no queue)");
    private static final Pattern NO_SERVER = Pattern.compile("(?i)(no server|no consumer|not consumed|nobody consumes)");
    private static final FaultReport REPORT = FaultReport.of(NoServerTest.class);

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication gateway;

    @BeforeEach
    void startGateway() {
        gateway = RunningApplication.start(FaultApplications.properties(broker, queue, "client", REPLY_TIMEOUT_MILLIS));
    }

    @AfterEach
    void stopGateway() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void answers_503_at_once_when_the_queue_does_not_exist() throws Exception {
        assertEquals(-1, broker.queueDepth(queue), queue + " does not exist");

        Call call = call(7);

        System.out.println("no queue: " + call);
        REPORT.row("no queue")
                .injected("a gateway whose request queue does not exist")
                .calls(List.of(call))
                .stale(Math.max(0, broker.queueDepth(queue)), "requests left in the queue for a later server")
                .callersSaw(call.status() + " " + problemType(call) + " after " + call.millis() + " ms")
                .record();
        assertFastNoServerProblem(call, NO_QUEUE);
    }

    @Test
    void answers_503_at_once_when_no_server_consumes_the_queue_and_leaves_no_request_behind() throws Exception {
        broker.declareQueue(queue);

        Call call = call(7);

        System.out.println("no consumer: " + call + "; " + queue + " holds " + broker.queueDepth(queue));
        REPORT.row("no server")
                .injected("a gateway whose request queue exists with no consumer")
                .calls(List.of(call))
                .stale(Math.max(0, broker.queueDepth(queue)), "requests left in the queue for a later server")
                .callersSaw(call.status() + " " + problemType(call) + " after " + call.millis() + " ms")
                .record();
        assertFastNoServerProblem(call, NO_SERVER);
        assertEquals(0, broker.queueDepth(queue), "requests left in " + queue + " to be computed for nobody");
    }

    @Test
    void answers_again_as_soon_as_a_server_consumes_the_queue() throws Exception {
        broker.declareQueue(queue);
        Call refused = call(8);
        assertEquals(503, refused.status(), "no server yet: " + refused);

        try (RpcServerDouble server = RpcServerDouble.start(broker.connectionFactory(), queue, n -> Duration.ZERO)) {
            long serving = System.nanoTime();
            Call[] answered = new Call[1];
            List<Call> calls = new CopyOnWriteArrayList<>(List.of(refused));
            await("a call answered once a server consumes").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        answered[0] = call(9);
                        calls.add(answered[0]);
                        return answered[0].status() == 200;
                    });
            System.out.println("a server again: " + answered[0]);
            REPORT.row("no server, then a server")
                    .injected("a call with no consumer on the queue, then a server starts consuming")
                    .calls(calls)
                    .stale(server.staleRequests(calls).size(), "requests the test-double server received with no "
                            + "caller waiting (the refused call's among them), or twice")
                    .recoveredAfter(TimeUnit.NANOSECONDS.toMillis(answered[0].startNanos() - serving))
                    .callersSaw(String.format("before the server: %d %s; then: %s", refused.status(),
                            problemType(refused), FaultReport.statuses(new CallStream.Tally(calls.subList(1,
                                    calls.size()), 0))))
                    .record();
            assertTrue(answered[0].right(), answered[0].toString());
        }
    }

    private Call call(int n) throws Exception {
        return CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
    }

    private static String problemType(Call call) {
        return call.problemJson() ? String.valueOf(Http.json(call.body()).get("type")) : call.contentType();
    }

    private void assertFastNoServerProblem(Call call, Pattern detail) {
        assertEquals(503, call.status(), call.toString());
        assertTrue(call.problemJson(), call.toString());
        Map<String, Object> problem = Http.json(call.body());
        assertEquals(503, problem.get("status"), call.body());
        assertTrue(String.valueOf(problem.get("type")).startsWith("urn:fibonacci-rpc:problem:"), call.body());
        String text = problem.get("title") + " " + problem.get("detail");
        assertTrue(detail.matcher(text).find(), "the problem says why (" + detail + "): " + call.body());
        assertTrue(call.millis() < FAST_FAILURE_MILLIS, "answered after " + call.millis() + " ms, not in less than "
                + FAST_FAILURE_MILLIS + " ms");
    }
}
