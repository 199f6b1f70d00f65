package io.fibonaccirpc.observe;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import io.fibonaccirpc.support.CapturedLogs;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** "A successful call logs nothing": no line at INFO or above, on the gateway's side or the server's, from any logger. */
class QuietSuccessTest {

    private static final int CALLS = 20;

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void successful_calls_through_gateway_and_server_log_no_line_at_info_or_above() {
        try (RunningApplication application = RunningApplication.start(RunningApplication.isolatedProperties(queue))) {
            // the server's consumers start with the route, and consume a moment later
            await("the server consumes " + queue).atMost(Duration.ofSeconds(10))
                    .until(() -> TestBroker.get().consumerCount(queue) > 0);
            quietCalls(application);
        }
    }

    private static void quietCalls(RunningApplication application) {
        try (CapturedLogs logs = CapturedLogs.start()) {
            for (int i = 0; i < CALLS; i++) {
                HttpResponse<String> response = Http.get(application.uri("/fib/30"));
                assertEquals(200, response.statusCode(), response.body());
                assertEquals("832040", response.body());
            }

            List<LogEvent> logged = logs.matching(event -> event.getLevel().isMoreSpecificThan(Level.INFO));
            assertEquals(List.of(), logged.stream().map(logs::line).toList(),
                    "lines logged at INFO or above during " + CALLS + " successful calls, the first one included");
        }
    }
}
