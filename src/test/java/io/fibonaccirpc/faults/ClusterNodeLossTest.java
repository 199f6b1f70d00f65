package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream.Tally;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.DisposableCluster;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node of a three-node cluster is lost ({@code rabbitmqctl stop_app}) while a stream of HTTP calls runs through a
 * gateway to a server, both given every node's address, with {@code rpc_queue} a quorum queue: calls go on, with
 * (as the README says) about a second of 503s while the applications connect to another node or a new leader is
 * elected: no 504, every failure a 503 problem of a lost connection or of no server, none that started
 * {@value #FAILURES_LIMIT_MILLIS} ms after the loss; no caller gets a wrong answer or no answer.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterNodeLossTest {

    private static final long REPLY_TIMEOUT_MILLIS = 3000;
    private static final int SERVER_CONSUMERS = 2;
    /** The application must answer again within this after the node is lost. */
    private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(5);
    /** Calls that start this long after the node is lost must all be answered right: "about a second", with room. */
    private static final long FAILURES_LIMIT_MILLIS = 3000;
    private static final Duration FAILURES_LIMIT = Duration.ofMillis(FAILURES_LIMIT_MILLIS);
    /** What a call may be told while the applications reconnect: its connection lost, or no server for a moment. */
    private static final Set<String> RECONNECTING = Set.of("urn:fibonacci-rpc:problem:connection-lost",
            "urn:fibonacci-rpc:problem:broker-unavailable", "urn:fibonacci-rpc:problem:no-server");
    private static final int CALLS_AFTER_RECOVERY = 40;
    private static final FaultReport REPORT = FaultReport.of(ClusterNodeLossTest.class);

    private static DisposableCluster cluster;

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication server;
    private RunningApplication gateway;

    @BeforeAll
    static void startCluster() {
        cluster = DisposableCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void startApplications() {
        server = RunningApplication.start(properties("server"));
        gateway = RunningApplication.start(properties("gateway"));
    }

    @AfterEach
    void stopApplications() {
        for (RunningApplication application : new RunningApplication[] { gateway, server }) {
            if (application != null) {
                application.close();
            }
        }
        cluster.deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void calls_go_on_when_the_node_the_gateway_is_connected_to_is_lost() {
        loseNodeUnderLoad(cluster.nodeOf("fibonacci-rpc gateway"), "the gateway's node");
    }

    @Test
    void calls_go_on_when_the_node_the_server_is_connected_to_is_lost() {
        loseNodeUnderLoad(cluster.nodeOf("fibonacci-rpc server"), "the server's node");
    }

    /**
     * The gateway's second connection, its queue probe's, is on a node of its own: losing that node costs no call
     * and leaves readiness UP (the calls and replies go over the other connection).
     */
    @Test
    void no_call_fails_and_readiness_stays_up_when_the_node_of_the_gateways_probe_connection_is_lost() {
        DisposableBroker probeNode = probeNodeApartFromTheGateways();
        List<Integer> readiness = new CopyOnWriteArrayList<>();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                readiness.add(Http.get(gateway.uri("/observe/health/ready")).statusCode());
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a probe's pace
            }
        }, "readiness watcher");
        watcher.start();
        try {
            Tally after = loseNodeUnderLoad(probeNode, "the node of the gateway's probe connection");
            assertEquals(List.of(), after.matching(call -> !call.right()), "every call since the loss is answered "
                    + "right");
        } finally {
            watching.set(false);
        }
        assertTrue(readiness.size() > 10 && readiness.stream().allMatch(status -> status == 200),
                "readiness stayed UP: " + readiness);
    }

    /**
     * Starts the gateway (or the server) again until the gateway's probe connection is on a node that holds nothing
     * else the calls need: not the gateway's calls' connection, not the server's, not the quorum queue's leader.
     */
    private DisposableBroker probeNodeApartFromTheGateways() {
        Http.get(gateway.uri("/fib/1")); // the probe connection opens with the first call's look
        for (int attempt = 0; attempt < 30; attempt++) {
            DisposableBroker probe = cluster.nodeOf("fibonacci-rpc publisher (gateway)");
            Set<DisposableBroker> needed = new HashSet<>(List.of(cluster.nodeOf("fibonacci-rpc gateway"),
                    cluster.nodeOf("fibonacci-rpc server"), cluster.leaderOf(queue)));
            if (!needed.contains(probe)) {
                return probe;
            }
            if (needed.size() == cluster.nodes().size()) {
                server.close();
                server = RunningApplication.start(properties("server"));
                await("the server consumes").atMost(Duration.ofSeconds(20))
                        .until(() -> cluster.consumerCount(queue) == SERVER_CONSUMERS);
            } else {
                gateway.close();
                gateway = RunningApplication.start(properties("gateway"));
            }
            Http.get(gateway.uri("/fib/1"));
        }
        throw new IllegalStateException("the gateway's probe connection kept landing on a node the calls need");
    }

    @Test
    void calls_go_on_when_the_node_that_leads_the_quorum_queue_is_lost() {
        loseNodeUnderLoad(cluster.leaderOf(queue), "the quorum queue leader's node");
    }

    /** The calls that started after the node was lost. */
    private Tally loseNodeUnderLoad(DisposableBroker lost, String which) {
        Map<String, String> before = cluster.nodes().get(0).connectionNodes();
        String leader = cluster.leaderOf(queue).nodeName();
        try (CallStream stream = CallStream.to(gateway.uri("/")).interval(Duration.ofMillis(50)).concurrency(10)
                .requestTimeout(Duration.ofSeconds(15)).maxDuration(Duration.ofSeconds(90)).start()) {
            await("calls answered before the fault").atMost(Duration.ofSeconds(15))
                    .until(() -> stream.count(Call::right) >= 20);

            long stopping = System.nanoTime();
            cluster.stopApp(lost);
            long down = System.nanoTime();

            boolean recovered = awaitRecovery(stream, down);
            Tally all = stream.stop();
            Tally after = all.where(call -> call.startedAfter(down));
            List<Call> firstRight = after.matching(Call::right);
            long recoveryMillis = firstRight.isEmpty() ? -1
                    : TimeUnit.NANOSECONDS.toMillis(firstRight.get(0).startNanos() - down);
            List<Call> wrongSince = after.matching(call -> !call.right());
            System.out.printf("lost %s (%s) in %d ms; leader was %s; connections before: %s; after: %s%n"
                            + "  all: %s%n  since: %s%n  not right since: %s%n",
                    which, lost.nodeName(), TimeUnit.NANOSECONDS.toMillis(down - stopping), leader, before,
                    cluster.nodes().stream().filter(node -> node != lost).findFirst().orElseThrow().connectionNodes(),
                    all.summary(), after.summary(), wrongSince.subList(0, Math.min(10, wrongSince.size())));
            FaultReport.Row row = REPORT.row("cluster node lost: " + which)
                    .injected("rabbitmqctl stop_app on " + which + " of three, rpc_queue a quorum queue, "
                            + "under 20 calls/s")
                    .calls(all)
                    .callersSaw("since the node was lost: " + FaultReport.statuses(after) + failures(after, down));
            if (recovered) {
                row.recoveredAfter(recoveryMillis);
            } else {
                row.notRecoveredWithin(RECOVERY_LIMIT.toMillis());
            }
            row.record();

            assertTrue(recovered, "no call answered right within " + RECOVERY_LIMIT.toSeconds() + " s after "
                    + which + " was lost: " + after.summary());
            List<Call> notReconnecting = all.matching(call -> !call.right() && !(call.status() == 503
                    && call.problemJson() && RECONNECTING.contains(String.valueOf(Http.json(call.body()).get("type")))));
            assertEquals(List.of(), notReconnecting, "every call is answered right, or is told 503 "
                    + RECONNECTING + " (no 504: nothing waits for its timeout)");
            long settled = down + FAILURES_LIMIT.toNanos();
            List<Call> lateFailures = after.matching(call -> !call.right() && call.startedAfter(settled));
            assertEquals(List.of(), lateFailures, "every call that started " + FAILURES_LIMIT.toMillis()
                    + " ms after the loss is answered right");
            assertEquals(0, all.wrong(), "wrong answers: " + all.matching(Call::wrong));
            assertEquals(0, all.lost(), "calls with no answer: " + all.matching(call -> !call.answered()));
            assertEquals(SERVER_CONSUMERS, cluster.consumerCount(queue), "the server consumes " + queue + " again");
            return after;
        } finally {
            cluster.startApp(lost);
        }
    }

    /** The problem types of the failed calls, and how long after the loss the last of them started. */
    private static String failures(Tally after, long down) {
        List<Call> failed = after.matching(call -> !call.right());
        if (failed.isEmpty()) {
            return "";
        }
        return "; " + failed.stream().map(call -> call.problemJson() ? String.valueOf(Http.json(call.body()).get("type"))
                        .replace("urn:fibonacci-rpc:problem:", "") : call.status() + " " + call.failure())
                .distinct().toList() + ", the last one started "
                + TimeUnit.NANOSECONDS.toMillis(failed.stream().mapToLong(Call::startNanos).max().orElseThrow() - down)
                + " ms after the loss";
    }

    private static boolean awaitRecovery(CallStream stream, long down) {
        try {
            await("a call answered right after the node is lost").atMost(RECOVERY_LIMIT)
                    .until(() -> stream.count(call -> call.startedAfter(down) && call.right()) > 0);
            long recovered = stream.finished().stream()
                    .filter(call -> call.startedAfter(down) && call.right())
                    .mapToLong(Call::startNanos).min().orElseThrow();
            await("calls after recovery").atMost(Duration.ofSeconds(20))
                    .until(() -> stream.count(call -> call.startedAfter(recovered)) >= CALLS_AFTER_RECOVERY);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    private Map<String, String> properties(String role) {
        Map<String, String> properties = new LinkedHashMap<>(cluster.applicationProperties());
        properties.put("rpc.role", role);
        properties.put("rpc.queue", queue);
        properties.put("rpc.queue-type", "quorum");
        properties.put("rpc.dead-letter-queue", queue + ".dead-letters");
        properties.put("rpc.reply-timeout", Long.toString(REPLY_TIMEOUT_MILLIS));
        properties.put("rpc.server.consumers", Integer.toString(SERVER_CONSUMERS));
        properties.put("http.host", "127.0.0.1");
        properties.put("http.port", Integer.toString(RunningApplication.freePort()));
        return properties;
    }
}
