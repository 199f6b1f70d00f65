package io.fibonaccirpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.CamelCli;
import io.fibonaccirpc.support.CamelRunClassPath;
import io.fibonaccirpc.support.CamelRunCommand;
import io.fibonaccirpc.support.JsonAnswerRevision;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.fibonaccirpc.support.Http.contentType;
import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's {@code camel run} command on Camel JBang's CLI itself ({@link CamelCli}: camel-jbang-core's
 * {@code CamelJBangMain} in a JVM of its own, its class path from camel-jbang-core alone, downloads on), typed as
 * a user types it: from the project root, and with {@code --dev} from a copy of the sources, whose route file is
 * then edited. Nothing of the tests' class path or of the build is used but the broker.
 */
class CamelRunTest {

    private static final String CAMEL_VERSION = System.getProperty("camel.version");
    private static final Path PROJECT = Path.of("").toAbsolutePath();
    private static final Path ROUTES = Path.of("src", "main", "resources", "routes");
    /** The starts of the README's command measured, from the command to the first answer. */
    private static final int STARTS = 3;
    private static final Path STARTUP_REPORT = Path.of("target", "camel-run-startup.txt");
    private static final Pattern ROUTE_ID = Pattern.compile("(?m)^- route:\\R\\s+id: (\\S+)");
    /** `camel get route` cuts an ID column value longer than this. */
    private static final int SHOWN_ID_LENGTH = 17;

    private final String queue = RunningApplication.newQueueName();

    @BeforeAll
    static void the_cli_is_camel_of_the_pom() {
        String printed = CamelCli.call("--version").strip();
        assertEquals(CAMEL_VERSION, printed.substring(printed.lastIndexOf('\n') + 1), printed);
    }

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void the_readme_command_serves_the_rpc_over_http_on_what_the_jar_holds(@TempDir Path work) throws IOException {
        String command = CamelRunCommand.fromReadme();
        Path classLoadLog = work.resolve("class-load.log");
        List<Long> startups = new ArrayList<>();
        for (int start = 1; start <= STARTS; start++) {
            boolean first = start == 1;
            Map<String, String> environment = new LinkedHashMap<>(queues());
            if (first) {
                environment.put("JAVA_OPTS", "-Xlog:class+load=info:file=" + classLoadLog);
            }
            Set<Path> openJars = Set.of();
            long began = System.nanoTime();
            try (ApplicationProcess camelRun = CamelCli.run("camel-run-" + start, command, PROJECT, environment)) {
                HttpResponse<String> answer = get(camelRun.uri("/fib/30"));
                startups.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
                assertEquals(200, answer.statusCode(), answer.body());
                assertEquals("832040", answer.body());
                if (first) {
                    answersAsTheJarDoes(camelRun);
                    isListedByTheCli(camelRun);
                    openJars = CamelRunClassPath.openJars(camelRun.processHandle().pid());
                }
            }
            if (first) {
                runsOnWhatTheJarHolds(openJars, CamelRunClassPath.loadedJars(classLoadLog));
            }
        }
        reportStartups(startups);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void with_dev_and_rpc_role_gateway_an_edited_route_file_is_reloaded_without_a_restart(@TempDir Path project) throws IOException {
        for (String sources : List.of("src/main/resources", "src/main/java")) {
            copyTree(PROJECT.resolve(sources), project.resolve(sources));
        }
        Path routes = project.resolve(ROUTES);
        JsonAnswerRevision.revise(routes, 1);

        // RPC_ROLE as with the jar: this camel run is only the gateway, in front of a server of the test's own
        Map<String, String> gateway = new HashMap<>(queues());
        gateway.put("RPC_ROLE", "gateway");
        Map<String, String> serverProperties = RunningApplication.isolatedProperties(queue);
        serverProperties.put("rpc.role", "server");
        try (RunningApplication server = RunningApplication.start(serverProperties);
             ApplicationProcess camelRun = CamelCli.run("camel-run-dev", CamelRunCommand.fromReadme() + " --dev",
                     project, gateway)) {
            assertEquals(1, JsonAnswerRevision.of(camelRun.baseUri()));
            Scrape gatewayMetrics = Scrape.of(camelRun.uri("/observe/metrics"));
            assertEquals(0.0, gatewayMetrics.value("fibonacci_rpc_server_requests_total", "outcome", "ok"),
                    "with RPC_ROLE=gateway, camel run runs no server route: the test's server answered");
            assertEquals(1.0, Scrape.of(server.uri("/observe/metrics"))
                    .value("fibonacci_rpc_server_requests_total", "outcome", "ok"), "the test's server answered");

            JsonAnswerRevision.revise(routes, 2);

            await("camel run --dev answers with the edited route").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> JsonAnswerRevision.of(camelRun.baseUri()) == 2);
            HttpResponse<String> text = get(camelRun.uri("/fib/30"));
            assertEquals(200, text.statusCode(), text.body());
            assertEquals("832040", text.body());
            assertInvalidArgument(get(camelRun.uri("/fib/abc")));
        }
    }

    private Map<String, String> queues() {
        return Map.of("RPC_QUEUE", queue, "RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters");
    }

    /** A bad n, readiness and the metrics, as the jar answers them. */
    private static void answersAsTheJarDoes(ApplicationProcess camelRun) {
        assertInvalidArgument(get(camelRun.uri("/fib/abc")));

        HttpResponse<String> ready = get(camelRun.uri("/observe/health/ready"));
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("UP", json(ready.body()).get("status"), ready.body());

        Scrape metrics = Scrape.of(camelRun.uri("/observe/metrics"));
        assertEquals(1.0, metrics.value("fibonacci_rpc_gateway_calls_total", "outcome", "ok"));
        assertEquals(1.0, metrics.value("fibonacci_rpc_gateway_calls_total", "outcome", "invalid"));
        assertEquals(1.0, metrics.value("fibonacci_rpc_server_requests_total", "outcome", "ok"));
    }

    private static void assertInvalidArgument(HttpResponse<String> refusal) {
        assertEquals(400, refusal.statusCode(), refusal.body());
        assertEquals("application/problem+json", contentType(refusal));
        assertEquals("urn:fibonacci-rpc:problem:invalid-argument", json(refusal.body()).get("type"), refusal.body());
    }

    /** `camel ps` shows the application running; `camel get route` shows every route of the route files started. */
    private static void isListedByTheCli(ApplicationProcess camelRun) throws IOException {
        String pid = Long.toString(camelRun.processHandle().pid());
        String processes = CamelCli.call("ps");
        assertTrue(Pattern.compile("(?m)^\\s*" + pid + "\\s+fibonacci-rpc\\s+\\d+/\\d+\\s+Running\\s").matcher(processes)
                .find(), "camel ps does not show " + pid + " fibonacci-rpc Running:\n" + processes);

        List<String> rows = CamelCli.call("get", "route").lines()
                .filter(line -> line.strip().startsWith(pid + " ")).toList();
        List<String> routeIds = routeIds();
        assertEquals(routeIds.size(), rows.size(), "camel get route, for routes " + routeIds + ":\n" + rows);
        for (String id : routeIds) {
            String shown = id.substring(0, Math.min(id.length(), SHOWN_ID_LENGTH));
            assertTrue(rows.stream().anyMatch(row -> row.contains(" " + shown) && row.contains(" Started ")),
                    "camel get route shows no started route " + id + ":\n" + String.join("\n", rows));
        }
    }

    /** The ids of the routes in the route files. */
    private static List<String> routeIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROUTES)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                Matcher id = ROUTE_ID.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (id.find()) {
                    ids.add(id.group(1));
                }
            }
        }
        return ids;
    }

    private static void runsOnWhatTheJarHolds(Set<Path> openJars, Set<Path> loadedJars) {
        CamelRunClassPath classPath = CamelRunClassPath.of(Path.of(System.getProperty("runtime-dependencies")),
                CamelCli.classPath(CAMEL_VERSION), openJars, loadedJars, Path.of(System.getProperty("maven.repository")));
        System.out.println("camel run's class path beside the jar's: " + classPath.sizes()
                + "; downloaded for the files and never loaded from: " + classPath.downloadedUnused());
        assertEquals(List.of(), classPath.differences(), "camel run and the jar differ:\n"
                + String.join("\n", classPath.differences()));
    }

    private static void reportStartups(List<Long> startups) throws IOException {
        List<Long> sorted = startups.stream().sorted().toList();
        String report = String.format("camel run (the README's command), from the command to the first 200 of "
                        + "/fib/30: %s; median %.1f s%n",
                startups.stream().map(millis -> String.format("%.1f s", millis / 1000.0))
                        .collect(Collectors.joining(", ")),
                sorted.get(sorted.size() / 2) / 1000.0);
        System.out.print(report);
        Files.createDirectories(STARTUP_REPORT.getParent());
        Files.writeString(STARTUP_REPORT, report, StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
