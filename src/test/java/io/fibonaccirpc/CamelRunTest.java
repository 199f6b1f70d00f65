package io.fibonaccirpc;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.CamelRunCommand;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.fibonaccirpc.support.Http.contentType;
import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's {@code camel run} command (the route files, the Java sources and application.properties, no build) on
 * the runtime camel run uses, camel-kamelet-main, in a process of its own: the HTTP route answers over the broker
 * named by the same environment variables as the jar's.
 */
class CamelRunTest {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void the_readme_command_serves_fib_over_http_with_the_broker_from_the_environment() {
        CamelRunCommand command = CamelRunCommand.fromReadme();
        assertTrue(command.files().contains("src/main/resources/application.properties"), command.files().toString());

        try (ApplicationProcess camelRun = command.start("camel-run", Map.of(
                "RPC_QUEUE", queue,
                "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters"))) {
            HttpResponse<String> answer = get(camelRun.uri("/fib/30"));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("832040", answer.body());

            HttpResponse<String> refusal = get(camelRun.uri("/fib/abc"));
            assertEquals(400, refusal.statusCode(), refusal.body());
            assertEquals("application/problem+json", contentType(refusal));
            Map<String, Object> problem = json(refusal.body());
            assertEquals("urn:fibonacci-rpc:problem:invalid-argument", problem.get("type"));
            assertEquals(400, problem.get("status"));
        }
    }
}
