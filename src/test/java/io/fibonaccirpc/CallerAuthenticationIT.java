package io.fibonaccirpc;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CAMEL_SERVER_AUTHENTICATION_ENABLED and CAMEL_SERVER_BASIC_PROPERTIES_FILE, as an operator sets them, in the
 * environment of the packaged jar (gateway and server in one process): a call without credentials or with bad ones
 * is answered 401 problem JSON and computes nothing, a call with good ones is answered its value; health and the
 * OpenAPI document stay open; switched on without a users file, the process does not start.
 */
class CallerAuthenticationIT {

    private static final String QUEUE = RunningApplication.newQueueName();
    private static final String PASSWORD = UUID.randomUUID().toString();

    @TempDir
    static Path folder;
    private static ApplicationProcess application;

    @BeforeAll
    static void startTheJarWithAuthentication() throws Exception {
        Path users = folder.resolve("users.properties");
        Files.writeString(users, "user.alice = " + PASSWORD + "\n", StandardCharsets.UTF_8);
        application = ApplicationProcess.start("caller-authentication", Map.of(
                "RPC_QUEUE", QUEUE,
                "CAMEL_SERVER_AUTHENTICATION_ENABLED", "true",
                "CAMEL_SERVER_BASIC_PROPERTIES_FILE", users.toString()));
    }

    @AfterAll
    static void stop() {
        ApplicationProcess.closeAndDeleteQueues(application, QUEUE);
    }

    @Test
    void a_call_without_good_credentials_is_answered_401_problem_json_and_computes_nothing() {
        Scrape before = metrics();
        HttpResponse<String> none = Http.get(application.uri("/fib/30"));
        HttpResponse<String> wrong = Http.get(application.uri("/fib/30"), "Authorization", basic("alice", "not-" + PASSWORD));
        HttpResponse<String> stranger = Http.get(application.uri("/fib/30"), "Authorization", basic("mallory", PASSWORD));
        for (HttpResponse<String> refused : List.of(none, wrong, stranger)) {
            assertEquals(401, refused.statusCode(), refused.body());
            assertEquals("application/problem+json", Http.contentType(refused));
            Map<String, Object> problem = Http.json(refused.body());
            assertEquals("urn:fibonacci-rpc:problem:unauthorized", problem.get("type"), refused.body());
            assertEquals(401, problem.get("status"));
            assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm="),
                    refused.headers().map().toString());
        }
        Scrape after = metrics();
        assertEquals(3, moved(before, after, "fibonacci_rpc_gateway_calls_total", "unauthorized"));
        assertEquals(0, moved(before, after, "fibonacci_rpc_server_requests_total", "ok"), "nothing was computed");
        assertEquals(0, TestBroker.get().queueDepth(QUEUE), "nothing waits in the queue");
    }

    @Test
    void a_call_with_good_credentials_is_answered_its_value() {
        HttpResponse<String> call = Http.get(application.uri("/fib/30"), "Authorization", basic("alice", PASSWORD));
        assertEquals(200, call.statusCode(), call.body());
        assertEquals("832040", call.body());
        HttpResponse<String> bad = Http.get(application.uri("/fib/abc"), "Authorization", basic("alice", PASSWORD));
        assertEquals(400, bad.statusCode(), "an authenticated caller's bad n is still a 400: " + bad.body());
    }

    @Test
    void health_metrics_and_the_openapi_document_stay_open() {
        assertEquals(200, Http.get(application.uri("/observe/health/ready")).statusCode());
        assertEquals(200, Http.get(application.uri("/observe/metrics")).statusCode());
        assertEquals(200, Http.get(application.uri("/openapi.yaml")).statusCode());
    }

    @Test
    void switched_on_without_a_users_file_the_process_does_not_start() {
        try (ApplicationProcess open = ApplicationProcess.launchUnready("authentication-without-users", Map.of(
                "RPC_QUEUE", QUEUE,
                "CAMEL_SERVER_AUTHENTICATION_ENABLED", "true"))) {
            await("the process exits").atMost(Duration.ofSeconds(60)).until(() -> !open.isAlive());
            assertNotEquals(0, open.exitValue(), open.logTail());
            assertTrue(open.logTail().contains("camel.server.basic-properties-file"), open.logTail());
        }
    }

    private static Scrape metrics() {
        return Scrape.of(application.uri("/observe/metrics"));
    }

    private static double moved(Scrape before, Scrape after, String name, String outcome) {
        return after.value(name, "outcome", outcome) - before.value(name, "outcome", outcome);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
