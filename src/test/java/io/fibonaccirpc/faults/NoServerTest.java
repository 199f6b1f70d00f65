package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream;
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
 * server consuming it, the caller gets a 503 problem saying which ({@code no-queue}, {@code no-server}, with
 * {@code Retry-After: 5}) at once, in a small part of the reply timeout instead of waiting for it; and no request
 * is left behind to be computed for nobody.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NoServerTest extends WithDisposableBroker {

    /** Long, so that "at once" is told apart from a wait for the reply timeout by a wide margin. */
    private static final long REPLY_TIMEOUT_MILLIS = 10_000;
    /**
     * A fresh gateway's first call: it looks at the queue for itself (the probe's connection opened, on a worker
     * thread first started), a start-up cost on a shared 2-CPU machine; still a fifth of the reply timeout.
     */
    private static final long FIRST_CALL_MILLIS = REPLY_TIMEOUT_MILLIS / 5;
    /** The next call, on a gateway that has looked: "at once", a twentieth of the reply timeout. */
    private static final long NEXT_CALL_MILLIS = REPLY_TIMEOUT_MILLIS / 20;
    private static final Pattern NO_QUEUE = Pattern.compile("(?i)(does not exist|doesn't exist|no such queue|not found|no queue)");
    private static final Pattern NO_SERVER = Pattern.compile("(?i)(no server|no consumer|not consumed|nobody consumes)");
    private static final FaultReport REPORT = FaultReport.of(NoServerTest.class);

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication gateway;

    @BeforeEach
    void startGateway() {
        gateway = RunningApplication.start(FaultApplications.properties(broker, queue, "gateway", REPLY_TIMEOUT_MILLIS));
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
        Call next = call(8);

        System.out.println("no queue: " + call + "; then " + next);
        REPORT.row("no queue")
                .injected("a gateway whose request queue does not exist")
                .calls(List.of(call, next))
                .stale(Math.max(0, broker.queueDepth(queue)), "requests left in the queue for a later server")
                .callersSaw(call.status() + " " + problemType(call) + " after " + call.millis() + " ms; the next "
                        + "call: " + next.status() + " after " + next.millis() + " ms")
                .record();
        assertFastNoServerProblem(call, "no-queue", NO_QUEUE, FIRST_CALL_MILLIS);
        assertFastNoServerProblem(next, "no-queue", NO_QUEUE, NEXT_CALL_MILLIS);
    }

    @Test
    void answers_503_at_once_when_no_server_consumes_the_queue_and_leaves_no_request_behind() throws Exception {
        broker.declareQueue(queue);

        Call call = call(7);
        Call next = call(8);

        System.out.println("no consumer: " + call + "; then " + next + "; " + queue + " holds "
                + broker.queueDepth(queue));
        REPORT.row("no server")
                .injected("a gateway whose request queue exists with no consumer")
                .calls(List.of(call, next))
                .stale(Math.max(0, broker.queueDepth(queue)), "requests left in the queue for a later server")
                .callersSaw(call.status() + " " + problemType(call) + " after " + call.millis() + " ms; the next "
                        + "call: " + next.status() + " after " + next.millis() + " ms")
                .record();
        assertFastNoServerProblem(call, "no-server", NO_SERVER, FIRST_CALL_MILLIS);
        assertFastNoServerProblem(next, "no-server", NO_SERVER, NEXT_CALL_MILLIS);
        assertEquals(0, broker.queueDepth(queue), "requests left in " + queue + " to be computed for nobody");
    }

    @Test
    void answers_again_as_soon_as_a_server_consumes_the_queue() throws Exception {
        broker.declareQueue(queue);
        Call refused = call(8);
        assertFastNoServerProblem(refused, "no-server", NO_SERVER, FIRST_CALL_MILLIS);

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
        return CallStream.call(gateway.uri("/"), n, Duration.ofSeconds(20)).get(20, TimeUnit.SECONDS);
    }

    private static String problemType(Call call) {
        return call.problemJson() ? String.valueOf(Http.json(call.body()).get("type")) : call.contentType();
    }

    /** 503 of this kind with Retry-After 5, saying why, within this many ms (well under the reply timeout). */
    private static void assertFastNoServerProblem(Call call, String kind, Pattern detail, long withinMillis) {
        assertTrue(call.isProblem(503, kind), "503 " + kind + ": " + call);
        assertEquals("5", call.retryAfter(), "Retry-After of " + call);
        Map<String, Object> problem = Http.json(call.body());
        assertEquals(503, problem.get("status"), call.body());
        String text = problem.get("title") + " " + problem.get("detail");
        assertTrue(detail.matcher(text).find(), "the problem says why (" + detail + "): " + call.body());
        assertTrue(call.millis() < withinMillis, "answered after " + call.millis() + " ms, not in less than "
                + withinMillis + " ms (the reply timeout is " + REPLY_TIMEOUT_MILLIS + " ms)");
    }
}
