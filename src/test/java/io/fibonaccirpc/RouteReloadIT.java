package io.fibonaccirpc;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The packaged jar with its routes in a directory (ROUTES_DIR) instead of the jar: with the dev profile
 * (CAMEL_MAIN_PROFILE=dev) a route file edited under the running application is loaded again, and the new
 * behaviour is seen over HTTP without a restart; without a profile (production) the files are read once, at start.
 */
class RouteReloadIT {

    private static final Path ROUTES = Path.of("src", "main", "resources", "routes");
    private static final String HTTP_ROUTE = "fibonacci-http.camel.yaml";
    /** The JSON answer of the HTTP route, and the "revision" field a test adds to it. */
    private static final Pattern JSON_ANSWER = Pattern.compile("\"fibonacci\": \"\\$\\{body}\"(, \"revision\": \\d+)?}");

    @TempDir
    Path routes;

    private final String devQueue = RunningApplication.newQueueName();
    private final String productionQueue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(devQueue, devQueue + ".dead-letters", productionQueue,
                productionQueue + ".dead-letters");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void an_edited_route_file_is_reloaded_with_the_dev_profile_and_not_in_production() throws IOException {
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path file : files.toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
        }
        reviseJsonAnswer(1);

        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put("routes-dev", Map.of(
                "ROUTES_DIR", routes.toString(),
                "CAMEL_MAIN_PROFILE", "dev",
                "RPC_QUEUE", devQueue,
                "RPC_DEAD_LETTER_QUEUE", devQueue + ".dead-letters"));
        environments.put("routes-production", Map.of(
                "ROUTES_DIR", routes.toString(),
                "RPC_QUEUE", productionQueue,
                "RPC_DEAD_LETTER_QUEUE", productionQueue + ".dead-letters"));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        try {
            ApplicationProcess dev = processes.get(0);
            ApplicationProcess production = processes.get(1);
            // both read the routes from the directory: the jar's answer has no revision
            assertEquals(1, revision(dev));
            assertEquals(1, revision(production));

            reviseJsonAnswer(2);

            await("the dev application answers with the edited route").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> revision(dev) == 2);
            HttpResponse<String> text = get(dev.uri("/fib/30"));
            assertEquals(200, text.statusCode(), text.body());
            assertEquals("832040", text.body());
            HttpResponse<String> refusal = get(dev.uri("/fib/abc"));
            assertEquals(400, refusal.statusCode(), "the route keeps its error handling: " + refusal.body());

            // the edit was there long enough for the dev application to load it; production keeps its routes
            await("the production application keeps the routes it started with").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .until(() -> revision(production) == 1);
        } finally {
            ApplicationProcess.closeAll(processes);
        }
    }

    /** The "revision" field of the JSON answer to /fib/30: 0 when it has none, -1 when the call failed. */
    private static int revision(ApplicationProcess application) {
        HttpResponse<String> response = get(application.uri("/fib/30"), "Accept", "application/json");
        if (response.statusCode() != 200) {
            return -1;
        }
        Map<String, Object> answer = json(response.body());
        assertEquals("832040", answer.get("fibonacci"), response.body());
        return (Integer) answer.getOrDefault("revision", 0);
    }

    /**
     * Edits the HTTP route in the directory: its JSON answer gets a "revision" field. The file is replaced in one
     * step (written beside it, then moved over it), as editors save, so that no half-written file is loaded.
     */
    private void reviseJsonAnswer(int revision) throws IOException {
        Path route = routes.resolve(HTTP_ROUTE);
        String yaml = Files.readString(route, StandardCharsets.UTF_8);
        Matcher answer = JSON_ANSWER.matcher(yaml);
        if (!answer.find()) {
            throw new IllegalStateException(HTTP_ROUTE + " no longer renders " + JSON_ANSWER.pattern());
        }
        String edited = answer.replaceFirst(Matcher.quoteReplacement(
                "\"fibonacci\": \"${body}\", \"revision\": " + revision + "}"));
        Path draft = routes.resolve(HTTP_ROUTE + ".draft");
        Files.writeString(draft, edited, StandardCharsets.UTF_8);
        Files.move(draft, route, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
