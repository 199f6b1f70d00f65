package io.fibonaccirpc.faults;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream.Pending;
import io.fibonaccirpc.support.CallStream.Tally;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.FaultReport;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server process killed (SIGKILL) while it holds requests: the broker gives them to the other server, and
 * every caller still gets its own right answer; none is lost. The packaged jar runs as three processes on a
 * disposable broker: two servers and one gateway.
 * <p>
 * So that the killed server surely holds requests, it is first paused (SIGSTOP): it keeps its prefetched
 * requests unacknowledged, and their callers wait; then it is killed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerKilledIT extends WithDisposableBroker {

    private static final int CONSUMERS_PER_SERVER = 2;
    private static final long REPLY_TIMEOUT_MILLIS = 10_000;
    /** A call older than this is held by the paused server: the others are answered in milliseconds. */
    private static final long HELD_MILLIS = 1000;
    private static final int HELD_CALLS = 5;
    private static final int CALLS_AFTER_KILL = 100;
    private static final FaultReport REPORT = FaultReport.of(ServerKilledIT.class);

    private final String queue = RunningApplication.newQueueName();

    @Test
    void a_server_killed_mid_request_loses_no_call_and_the_other_server_answers_its_requests() throws Exception {
        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put("killed-server", environment("server"));
        environments.put("surviving-server", environment("server"));
        environments.put("kill-gateway", environment("gateway"));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        ApplicationProcess killed = processes.get(0);
        ApplicationProcess gateway = processes.get(2);
        try {
            await("both servers consume").atMost(Duration.ofSeconds(20))
                    .until(() -> broker.consumerCount(queue) == 2 * CONSUMERS_PER_SERVER);

            try (CallStream stream = CallStream.to(gateway.baseUri()).interval(Duration.ofMillis(40)).concurrency(20)
                    .requestTimeout(Duration.ofSeconds(20)).maxDuration(Duration.ofSeconds(80)).start()) {
                await("calls answered before the fault").atMost(Duration.ofSeconds(20))
                        .until(() -> stream.count(Call::right) >= 40);

                killed.signal("STOP");
                await("calls held by the paused server").atMost(Duration.ofSeconds(10))
                        .until(() -> held(stream).size() >= HELD_CALLS);
                Set<Integer> heldAtKill = held(stream).stream().map(Pending::index).collect(Collectors.toSet());
                killed.processHandle().destroyForcibly();
                killed.processHandle().onExit().get(10, TimeUnit.SECONDS);
                long killedAt = System.nanoTime();

                await("only the surviving server consumes").atMost(Duration.ofSeconds(10))
                        .until(() -> broker.consumerCount(queue) == CONSUMERS_PER_SERVER);
                await("the held calls answered").atMost(Duration.ofSeconds(20))
                        .until(() -> stream.finished().stream().filter(call -> heldAtKill.contains(call.index()))
                                .count() == heldAtKill.size());
                await("calls after the kill").atMost(Duration.ofSeconds(30))
                        .until(() -> stream.count(call -> call.startedAfter(killedAt)) >= CALLS_AFTER_KILL);
                Tally all = stream.stop();

                Tally held = all.where(call -> heldAtKill.contains(call.index()));
                Tally after = all.where(call -> call.startedAfter(killedAt));
                System.out.printf("server killed: %d calls held by it when it was killed%n  all: %s%n  held: %s%n"
                                + "  held calls, ended after the kill: %s%n  after the kill: %s%n",
                        heldAtKill.size(), all.summary(), held.summary(),
                        held.calls().stream().map(call -> TimeUnit.NANOSECONDS.toMillis(call.endNanos() - killedAt)
                                + " ms").toList(), after.summary());
                REPORT.row("server killed")
                        .injected("kill -STOP of one of two server processes under 25 calls/s, then kill -9 while it "
                                + "held " + heldAtKill.size() + " calls")
                        .calls(all)
                        .staleNotObservable("the servers are processes of their own: what each computed is not seen")
                        .recoveredAfter(held.calls().stream()
                                .mapToLong(call -> TimeUnit.NANOSECONDS.toMillis(call.endNanos() - killedAt)).max()
                                .orElse(0))
                        .callersSaw(String.format("the held calls: %s, after %d ms at most; all calls: %s",
                                FaultReport.statuses(held), held.maxMillis(), FaultReport.statuses(all)))
                        .record();

                assertEquals(0, all.wrong(), "wrong answers: " + all.matching(Call::wrong));
                assertEquals(0, all.lost(), "calls with no answer: " + all.matching(call -> !call.answered()));
                assertEquals(heldAtKill.size(), held.count(Call::right), "the calls the killed server held are "
                        + "answered right by the other: " + held.matching(call -> !call.right()));
                List<Call> notRight = all.matching(call -> !call.right());
                assertEquals(List.of(), notRight.subList(0, Math.min(5, notRight.size())),
                        notRight.size() + " calls not answered right; the first ones");
                assertEquals(0, broker.queueDepth(queue), "requests left in " + queue);
            }
        } finally {
            killed.processHandle().destroyForcibly();
            ApplicationProcess.closeAll(processes);
        }
    }

    private static List<Pending> held(CallStream stream) {
        return stream.pending().stream().filter(call -> call.ageMillis() > HELD_MILLIS).toList();
    }

    private Map<String, String> environment(String role) {
        Map<String, String> environment = new LinkedHashMap<>(broker.environment());
        environment.put("RPC_ROLE", role);
        environment.put("RPC_QUEUE", queue);
        environment.put("RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters");
        environment.put("RPC_REPLY_TIMEOUT", Long.toString(REPLY_TIMEOUT_MILLIS));
        environment.put("RPC_SERVER_CONSUMERS", Integer.toString(CONSUMERS_PER_SERVER));
        return environment;
    }
}
