package io.fibonaccirpc.faults;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.CallStream.Call;
import io.fibonaccirpc.support.CallStream.Tally;
import io.fibonaccirpc.support.CallStream;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One of two server processes paused (SIGSTOP) under load, then resumed, three times: it holds at most its prefetch of requests
 * (their callers get 504 after the reply timeout, and it drops them past their deadline when it resumes); the
 * other server answers the rest; once resumed, both acknowledge on, and the broker never closes a channel for an
 * unknown delivery tag (as it did when acknowledgements went in batches).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ServerPausedIT extends WithDisposableBroker {

    private static final int PREFETCH = 10;
    private static final int CONSUMERS = 2;
    private static final long REPLY_TIMEOUT_MILLIS = 2000;
    private static final long PAUSE_MILLIS = 3000;
    private static final int PAUSES = 3;

    private final String queue = RunningApplication.newQueueName();

    @Test
    void a_paused_server_holds_no_more_than_its_prefetch_and_acknowledges_on_once_resumed() throws Exception {
        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put("paused-server", environment("server"));
        environments.put("other-server", environment("server"));
        environments.put("paused-gateway", environment("gateway"));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        ApplicationProcess paused = processes.get(0);
        try (CallStream stream = CallStream.to(processes.get(2).baseUri()).interval(Duration.ofMillis(10))
                .concurrency(100).requestTimeout(Duration.ofSeconds(10)).maxDuration(Duration.ofSeconds(120)).start()) {
            await("both servers consume").atMost(Duration.ofSeconds(20))
                    .until(() -> broker.consumerCount(queue) == 2L * CONSUMERS);
            await("calls answered before the pause").atMost(Duration.ofSeconds(20))
                    .until(() -> stream.count(Call::right) >= 40);

            long resumed = 0;
            for (int pause = 0; pause < PAUSES; pause++) {
                paused.signal("STOP");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(PAUSE_MILLIS)); // the fault lasts this long
                paused.signal("CONT");
                resumed = System.nanoTime();
                long since = resumed;
                await("calls answered after the resume").atMost(Duration.ofSeconds(20))
                        .until(() -> stream.count(call -> call.startedAfter(since) && call.right()) >= 40);
            }
            long lastResume = resumed;
            await("calls after the resume").atMost(Duration.ofSeconds(30))
                    .until(() -> stream.count(call -> call.startedAfter(lastResume + TimeUnit.SECONDS.toNanos(3))
                            && call.right()) >= 100);
            Tally all = stream.stop();

            long unknownTags;
            try (Stream<String> log = Files.lines(broker.logFile(), StandardCharsets.UTF_8)) {
                unknownTags = log.filter(line -> line.contains("unknown delivery tag")).count();
            }
            System.out.printf("server paused %d times %d ms: %s; unknown delivery tags in the broker's log: %d%n",
                    PAUSES, PAUSE_MILLIS, all.summary(), unknownTags);
            assertEquals(0, all.wrong(), "wrong answers: " + all.matching(Call::wrong));
            assertEquals(0, all.lost(), "calls with no answer: " + all.matching(call -> !call.answered()));
            List<Call> notTimeouts = all.matching(call -> !call.right() && call.status() != 504);
            assertEquals(List.of(), notTimeouts, "every call not answered right waited for the paused server (504)");
            assertTrue(all.status(504) <= (long) PAUSES * PREFETCH * CONSUMERS, "the paused server held at most "
                    + PREFETCH * CONSUMERS + " requests a pause: " + all.status(504) + " calls got 504 in " + PAUSES);
            assertEquals(0, unknownTags, "channels the broker closed for an unknown delivery tag");
            assertEquals(2L * CONSUMERS, broker.consumerCount(queue), "both servers consume again");
            List<Call> lateFailures = all.matching(call -> call.startedAfter(lastResume + TimeUnit.SECONDS.toNanos(3))
                    && !call.right());
            assertEquals(List.of(), lateFailures, "calls started 3 s after the resume are answered right");
        } finally {
            paused.signal("CONT");
            ApplicationProcess.closeAll(processes);
        }
    }

    private Map<String, String> environment(String role) {
        Map<String, String> environment = new LinkedHashMap<>(broker.environment());
        environment.put("RPC_ROLE", role);
        environment.put("RPC_QUEUE", queue);
        environment.put("RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters");
        environment.put("RPC_REPLY_TIMEOUT", Long.toString(REPLY_TIMEOUT_MILLIS));
        environment.put("RPC_SERVER_PREFETCH", Integer.toString(PREFETCH));
        environment.put("RPC_SERVER_CONSUMERS", Integer.toString(CONSUMERS));
        return environment;
    }
}
