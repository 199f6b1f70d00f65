package io.fibonaccirpc;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RPC_CALLER_MAX_IN_FLIGHT as an operator sets it, in the environment of the packaged jar with basic authentication
 * on: the caller is the user, so two users on one address have a limit each. A server that never replies (the test's)
 * holds the calls in flight.
 */
class CallerLimitIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String PASSWORD = UUID.randomUUID().toString();

    @TempDir
    Path folder;

    @Test
    void past_its_limit_a_user_gets_429_and_another_user_on_the_same_address_still_gets_through() throws Exception {
        String queue = RunningApplication.newQueueName();
        Path users = folder.resolve("users.properties");
        Files.writeString(users, "user.alice = " + PASSWORD + "\nuser.bob = " + PASSWORD + "\n", StandardCharsets.UTF_8);
        try (SilentServer silent = SilentServer.on(queue);
                ApplicationProcess gateway = ApplicationProcess.start("caller-limit", Map.of(
                        "RPC_ROLE", "gateway",
                        "RPC_QUEUE", queue,
                        "RPC_REPLY_TIMEOUT", "3000",
                        "RPC_CALLER_MAX_IN_FLIGHT", "1",
                        "CAMEL_SERVER_AUTHENTICATION_ENABLED", "true",
                        "CAMEL_SERVER_BASIC_PROPERTIES_FILE", users.toString()))) {
            CompletableFuture<HttpResponse<String>> held = call(gateway.uri("/fib/1"), "alice");
            await().atMost(Duration.ofSeconds(10)).until(() -> silent.received().size() == 1);

            HttpResponse<String> refused = call(gateway.uri("/fib/2"), "alice").get(5, TimeUnit.SECONDS);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
            Map<String, Object> problem = Http.json(refused.body());
            assertEquals("urn:fibonacci-rpc:problem:too-many-calls", problem.get("type"));
            assertTrue(String.valueOf(problem.get("detail")).contains("user:alice"), refused.body());
            assertEquals(1, silent.received().size(), "the refused call was not published");

            CompletableFuture<HttpResponse<String>> bobs = call(gateway.uri("/fib/3"), "bob");
            await("bob's call is published").atMost(Duration.ofSeconds(10)).until(() -> silent.received().size() == 2);

            assertEquals(504, held.get(15, TimeUnit.SECONDS).statusCode());
            assertEquals(504, bobs.get(15, TimeUnit.SECONDS).statusCode());
            assertEquals(1.0, Scrape.of(gateway.uri("/observe/metrics"))
                    .value("fibonacci_rpc_gateway_calls_total", "outcome", "throttled"));
        } finally {
            TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
        }
    }

    private static CompletableFuture<HttpResponse<String>> call(URI uri, String user) {
        String credentials = Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        return HTTP.sendAsync(HttpRequest.newBuilder(uri).header("Authorization", "Basic " + credentials).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
