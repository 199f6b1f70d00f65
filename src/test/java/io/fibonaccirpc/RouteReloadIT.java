package io.fibonaccirpc;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.JsonAnswerRevision;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged jar with its routes in a directory (ROUTES_DIR) instead of the jar: with the dev profile
 * (CAMEL_MAIN_PROFILE=dev) a route file edited under the running application is loaded again, and the new
 * behaviour is seen over HTTP without a restart; without a profile (production) the files are read once, at start.
 */
class RouteReloadIT {

    private static final Path ROUTES = Path.of("src", "main", "resources", "routes");
    /** application.properties' rpc.server.consumers. */
    private static final int SERVER_CONSUMERS = 2;
    /** The dev profile's reload: Camel's file watcher, then the route file loaded again. */
    private static final Duration RELOAD_LIMIT = Duration.ofSeconds(5);

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
        try (Stream<Path> files = Files.walk(ROUTES)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Path copy = routes.resolve(ROUTES.relativize(file));
                Files.createDirectories(copy.getParent());
                Files.copy(file, copy);
            }
        }
        JsonAnswerRevision.revise(routes, 1);

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
            assertEquals(1, JsonAnswerRevision.of(dev.baseUri()));
            assertEquals(1, JsonAnswerRevision.of(production.baseUri()));

            // the server route's consumers, as the broker knows them: a route started again consumes anew
            await("the dev server consumes").atMost(Duration.ofSeconds(10))
                    .until(() -> consumerTags(devQueue).size() == SERVER_CONSUMERS);
            List<String> consumersBefore = consumerTags(devQueue);

            long edited = System.nanoTime();
            JsonAnswerRevision.revise(routes, 2);

            await("the dev application answers with the edited route").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> JsonAnswerRevision.of(dev.baseUri()) == 2);
            long reloadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - edited);
            System.out.printf("the edited route answered %d ms after the file was saved%n", reloadMillis);
            assertTrue(reloadMillis < RELOAD_LIMIT.toMillis(), "the edited route answers within "
                    + RELOAD_LIMIT.toSeconds() + " s of the save (the README says about two seconds): "
                    + reloadMillis + " ms");
            assertEquals(consumersBefore, consumerTags(devQueue), "the routes of the other files kept running: the "
                    + "server route's consumers are the same ones");
            HttpResponse<String> text = get(dev.uri("/fib/30"));
            assertEquals(200, text.statusCode(), text.body());
            assertEquals("832040", text.body());
            HttpResponse<String> refusal = get(dev.uri("/fib/abc"));
            assertEquals(400, refusal.statusCode(), "the route keeps its error handling: " + refusal.body());

            // the edit was there long enough for the dev application to load it; production keeps its routes
            await("the production application keeps the routes it started with").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .until(() -> JsonAnswerRevision.of(production.baseUri()) == 1);
        } finally {
            ApplicationProcess.closeAll(processes);
        }
    }

    private static List<String> consumerTags(String queue) {
        return Rabbitmqctl.forTestBroker().list("list_consumers", "queue_name", "consumer_tag").stream()
                .filter(consumer -> queue.equals(consumer.get("queue_name")))
                .map(consumer -> String.valueOf(consumer.get("consumer_tag"))).sorted().toList();
    }
}
