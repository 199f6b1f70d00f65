package io.fibonaccirpc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fibonaccirpc.bench.Case.Kind;
import io.fibonaccirpc.bench.LoadCaller.ReplyMode;
import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.TestBroker;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The benchmark of issue 4, run by {@code scripts/benchmark} (see there for the usage): the baseline (plain
 * amqp-client caller and server), our server route alone (the jar, RPC_ROLE=server, driven by the same caller)
 * and the gateway end to end (the jar as client and as server, driven by wrk), each case warmed up and run
 * several times; medians, CPU per process, and the ratios to the baseline, printed and written to a results file.
 * <p>
 * Everything is bounded: each run by its duration, each wait by a timeout, the whole by {@code --time-limit}
 * (cases that would end past it are skipped and reported so). Queues are its own ({@code bench.<random>.*})
 * and deleted at the end.
 */
public final class Benchmark {

    static final int BASELINE_PREFETCH = 50;
    static final int GATEWAY_MAX_IN_FLIGHT = 2000;
    /** wrk's own request timeout: above the gateway's reply timeout (10 s), so the gateway answers first. */
    static final Duration WRK_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration DRAIN = Duration.ofSeconds(10);
    private static final Duration QUEUE_DRAIN = Duration.ofSeconds(20);
    /** The route of the minimal Camel gateway: HTTP in, the InOut call, the reply out; nothing else. */
    static final String MINIMAL_ROUTE = """
            - route:
                id: fibonacci-minimal-gateway
                errorHandler:
                  noErrorHandler: {}
                from:
                  uri: "platform-http:/fib/{n}?httpMethodRestrict=GET"
                  steps:
                    - setBody:
                        simple: "${header.n}"
                    - removeHeaders:
                        pattern: "*"
                    - setHeader:
                        name: CamelSpringRabbitmqCorrelationId
                        ref: correlationIds
                    - to:
                        uri: "spring-rabbitmq:default?routingKey={{rpc.queue}}&exchangePattern=InOut&replyTimeout={{rpc.reply-timeout}}"
                    - removeHeaders:
                        pattern: "*"
            """;

    private final BenchmarkOptions options;
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final long deadline;
    private final ConnectionFactory factory = TestBroker.get().connectionFactory();
    private final List<String> queues = new ArrayList<>();
    private final List<CaseResult> results = new ArrayList<>();
    private final Map<Role, Long> brokerPid = new EnumMap<>(Role.class);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Connection admin;
    private Channel adminChannel;

    private Benchmark(BenchmarkOptions options) {
        this.options = options;
        this.deadline = System.nanoTime() + options.timeLimit().toNanos();
        if (options.brokerPid() > 0) {
            brokerPid.put(Role.BROKER, options.brokerPid());
        }
    }

    public static void main(String[] args) throws Exception {
        if (!"local".equalsIgnoreCase(System.getenv("TEST_BROKER"))) {
            System.err.println("Run the benchmark with scripts/benchmark (it measures the broker at RABBITMQ_HOST, "
                    + "TEST_BROKER=local).");
            System.exit(2);
        }
        BenchmarkOptions options;
        try {
            options = BenchmarkOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        new Benchmark(options).run();
        System.exit(0); // the RabbitMQ client's threads would keep the JVM up
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        admin = factory.newConnection("benchmark admin");
        adminChannel = admin.createChannel();
        Map<String, String> machine = Machine.describe(admin);
        List<ComputeTime> computeTimes = new ArrayList<>();
        try {
            if (options.parts().contains("baseline")) {
                baseline();
            }
            if (options.parts().contains("server") && !options.parts().contains("baseline")) {
                serverRoute(); // else measured beside the baseline
            }
            if (options.parts().contains("gateway")) {
                // just before the round trips it is shown beside
                log("timing Fibonacci in this JVM");
                Duration computeTiming = options.quick() ? Duration.ofMillis(200) : Duration.ofSeconds(2);
                for (int n : List.of(30, 10_000, 100_000)) {
                    computeTimes.add(ComputeTime.measure(n, computeTiming, computeTiming));
                }
                gateway();
            }
        } finally {
            deleteQueues();
            admin.abort(5000);
        }
        long seconds = Math.round((System.nanoTime() - started) / 1e9);
        String command = options.command().isBlank() ? "scripts/benchmark" : options.command();
        String run = "Run " + date + " with `" + command + "`"
                + (options.revision().isBlank() ? "" : " at " + options.revision())
                + "; the measuring took " + seconds / 60 + " min " + seconds % 60 + " s.";
        Report report = new Report(results, computeTimes, machine, settings(), run);
        System.out.println();
        System.out.println(report.markdown());
        report.writeTo(options.output());
        System.out.println("Written to " + options.output());
    }

    private Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("runs", options.runs() + " per case, " + seconds(options.duration()) + " s each; at 1,000 "
                + "connections " + options.crowdRuns() + " of " + seconds(options.crowdDuration()) + " s (every "
                + "connection sends at once when a run starts, and the first answers come after a latency of up to "
                + "seconds); after a " + seconds(options.warmup()) + " s warm-up of the case (wrk: whole seconds, "
                + "at least 1) and a " + seconds(options.setupWarmup()) + " s warm-up of each new set of jar processes "
                + "(the JIT compilers of a jar under load take about that long to settle), "
                + seconds(options.setupWarmup().dividedBy(3)) + " s of the baseline's");
        settings.put("baseline", "`LoadCaller` (one connection, one channel; a closed loop: each reply sends the next "
                + "call) -> `BaselineServer` (a JVM of its own; one consumer, prefetch " + BASELINE_PREFETCH
                + ", computes with `Fibonacci.reply`, replies, then acknowledges), on a durable queue of the type the "
                + "server route's is (`" + queueType() + "`)");
        settings.put("floor: plain HTTP gateway", "wrk as below -> `FloorGateway` (a JVM of its own: Vert.x's HTTP "
                + "server on one event loop, as platform-http runs it, publishing each call on one amqp-client channel "
                + "with a shared exclusive reply queue and a correlation map; no Camel, no Spring, no checks, no "
                + "timeouts) -> the baseline server: the least an HTTP leg costs on this machine");
        settings.put("minimal Camel gateway", "wrk as below -> the jar as gateway with `ROUTES_DIR` holding one route "
                + "instead of its own: platform-http `/fib/{n}` -> the body from `n` -> a correlation id -> the same "
                + "`spring-rabbitmq` InOut call -> the reply as the response; no checks, no error handling, no trace "
                + "context, no metrics (`Benchmark.MINIMAL_ROUTE`) -> the server of the gateway cases: what Camel's "
                + "platform-http and spring-rabbitmq InOut cost by themselves");
        settings.put("stock components", "wrk as below -> the jar as gateway with `RPC_TUNING=false`: the same routes "
                + "on Camel's platform-http consumer and camel-main's HTTP server, the InOut producer's own template "
                + "on direct reply-to, Camel's listener containers (docs/tuning.md) -> the server of the gateway "
                + "cases: what the overrides of Camel's and Spring's internals buy");
        settings.put("server route alone", "the same caller -> the jar with "
                + Report.environment(serverEnvironment("<queue>")) + "; the rest as in application.properties ("
                + applicationDefaults("rpc.server.prefetch", "rpc.server.consumers") + "); its runs alternate with "
                + "the baseline's at the same n and 64 in flight (a run of the baseline, then one of the server route), "
                + "so that both see the same minutes of this shared machine, whose speed drifts by more than the "
                + "difference looked for");
        settings.put("gateway end to end", "`wrk --threads 1 --connections C --latency --timeout "
                + WRK_TIMEOUT.toSeconds() + "s` on `/fib/n` -> the jar with "
                + Report.environment(gatewayEnvironment("<queue>")) + " (`RPC_MAX_IN_FLIGHT` above 1,000, so that no "
                + "call of 1,000 connections is refused as overloaded; the rest as in application.properties: "
                + applicationDefaults("rpc.reply-timeout", "rpc.server-check-interval") + ") -> the jar as in the "
                + "server route case; after each run, the calls wrk left in flight are worked off (a probe call "
                + "answered, the queue empty) before the next");
        settings.put("processes", "each jar runs as `ApplicationProcess` starts it (`java "
                + String.join(" ", ApplicationProcess.JVM_OPTIONS) + " -jar target/fibonacci-rpc.jar`: the options "
                + "scripts/run gives it and a heap limit); the baseline server and the floor with the same options, the "
                + "benchmark's own JVM (the AMQP caller) with `-Xmx1g`; all on the same Java");
        settings.put("errors", "for the AMQP caller: error replies, wrong values and calls unanswered "
                + DRAIN.toSeconds() + " s after the run; for wrk: its non-2xx-or-3xx responses and socket errors "
                + "(connect, read, write, timeout)");
        settings.put("calls/s", "calls answered correctly (wrk: not 4xx or 5xx) within the run, per second");
        settings.put("CPU", "utime + stime from `/proc/<pid>/stat` before and after each run (wrk: read by the shell "
                + "that ran it); the caller of the AMQP cases is the benchmark's own JVM"
                + (brokerPid.isEmpty() ? "; the broker's process was not found (n/a)"
                        : "; the broker is the `beam.smp` listening on the AMQP port"));
        return settings;
    }

    /** The type of the server route's queue: RPC_QUEUE_TYPE of --server-env, else the application's default. */
    private String queueType() {
        String configured = options.serverEnvironment().get("RPC_QUEUE_TYPE");
        return configured != null ? configured : applicationProperties().getProperty("rpc.queue-type", "quorum");
    }

    /** Keys of the application's own application.properties with their values, for the record. */
    private static String applicationDefaults(String... keys) {
        Properties properties = applicationProperties();
        return Arrays.stream(keys).map(key -> "`" + key + "=" + properties.getProperty(key, "?") + "`")
                .collect(Collectors.joining(", "));
    }

    static Properties applicationProperties() {
        Properties properties = new Properties();
        try (InputStream in = Benchmark.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // reported as unknown
        }
        return properties;
    }

    private void baseline() throws Exception {
        String queue = "bench." + id + ".baseline";
        queues.add(queue);
        // of the type our servers declare, so that the ratios compare the routes, not the queues (a quorum queue
        // costs the broker about twice as much per message as a classic one)
        adminChannel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", queueType()));
        Process server = BaselineServer.start(queue, BASELINE_PREFETCH);
        try (LoadCaller callbackQueue = LoadCaller.open(factory, queue, ReplyMode.CALLBACK_QUEUE);
             LoadCaller directReplyTo = LoadCaller.open(factory, queue, ReplyMode.DIRECT_REPLY_TO)) {
            Map<Role, Long> pids = pids(Map.of(Role.CALLER, ProcessHandle.current().pid(), Role.SERVER, server.pid()));
            Duration warmup = options.setupWarmup().dividedBy(3);
            log("baseline: warming up (" + seconds(warmup) + " s)");
            callbackQueue.run(1, 64, warmup, DRAIN);
            directReplyTo.run(1, 64, warmup.dividedBy(2), DRAIN);
            List<CaseResult> serverRoute = List.of();
            for (int inFlight : List.of(1, 64)) {
                if (inFlight == 64 && options.parts().contains("server")) {
                    measure(new Case(Kind.BASELINE_DIRECT_REPLY_TO, 1, inFlight), directReplyTo, pids);
                    serverRoute = serverRouteBesideBaseline(callbackQueue, pids);
                    continue;
                }
                measure(new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, inFlight), callbackQueue, pids);
                measure(new Case(Kind.BASELINE_DIRECT_REPLY_TO, 1, inFlight), directReplyTo, pids);
                measure(new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, inFlight), callbackQueue, pids);
            }
            floorGateway(queue, server);
            results.addAll(serverRoute);
        } finally {
            BenchJvm.stop(server);
        }
    }

    /**
     * The server route alone at 64 in flight, each of its runs right after a run of the baseline at the same n
     * (the baseline's cases at 64 in flight are measured here): on a shared machine whose speed drifts by more
     * than the difference looked for, both see the same minutes. Adds the baseline's results; returns the
     * server route's, for the table's place after the floor.
     */
    private List<CaseResult> serverRouteBesideBaseline(LoadCaller baseline, Map<Role, Long> baselinePids)
            throws Exception {
        Case first = new Case(Kind.SERVER_ROUTE, 1, 64);
        if (!timeLeftFor(first, 4)) {
            skip(new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, 64), new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64));
            return skipped(first, new Case(Kind.SERVER_ROUTE, 30, 64));
        }
        return withServerRoute(", to be measured beside the baseline", (caller, pids) -> {
            List<CaseResult> serverRoute = new ArrayList<>();
            for (int n : List.of(1, 30)) {
                serverRoute.add(measureAlternating(new Case(Kind.BASELINE_CALLBACK_QUEUE, n, 64), baseline,
                        baselinePids, new Case(Kind.SERVER_ROUTE, n, 64), caller, pids));
            }
            return serverRoute;
        });
    }

    /**
     * Two cases of the AMQP caller, warmed up, then their runs in turn: a run of the first, then one of the
     * second. Adds the first's result; returns the second's.
     */
    private CaseResult measureAlternating(Case first, LoadCaller firstCaller, Map<Role, Long> firstPids,
            Case second, LoadCaller secondCaller, Map<Role, Long> secondPids) throws InterruptedException {
        if (!timeLeftFor(second, 2)) {
            skip(first);
            return skipped(second).get(0);
        }
        if (!options.warmup().isZero()) {
            secondCaller.run(second.n(), second.inFlight(), options.warmup(), DRAIN);
            firstCaller.run(first.n(), first.inFlight(), options.warmup(), DRAIN);
        }
        List<Run> firstRuns = new ArrayList<>();
        List<Run> secondRuns = new ArrayList<>();
        for (int i = 0; i < options.runs(second); i++) {
            firstRuns.add(measureRun(first, i, firstCaller, firstPids));
            secondRuns.add(measureRun(second, i, secondCaller, secondPids));
        }
        results.add(new CaseResult(first, firstRuns));
        return new CaseResult(second, secondRuns);
    }

    /** The floor of an HTTP gateway ({@link FloorGateway}) against the baseline server, under wrk. */
    private void floorGateway(String queue, Process server) throws Exception {
        List<Case> cases = scaleCases(Kind.FLOOR_GATEWAY);
        if (cases.isEmpty()) {
            return;
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process floor = FloorGateway.start(queue, port);
        try {
            measureScaleCases(cases, URI.create("http://127.0.0.1:" + port + "/"), queue,
                    pids(Map.of(Role.GATEWAY, floor.pid(), Role.SERVER, server.pid())),
                    options.setupWarmup().dividedBy(3));
        } finally {
            BenchJvm.stop(floor);
        }
    }

    /** The server route alone, when the baseline is not measured in the same run. */
    private void serverRoute() throws Exception {
        if (!timeLeftFor(new Case(Kind.SERVER_ROUTE, 1, 64))) {
            skip(new Case(Kind.SERVER_ROUTE, 1, 64), new Case(Kind.SERVER_ROUTE, 30, 64));
            return;
        }
        withServerRoute("", (caller, pids) -> {
            measure(new Case(Kind.SERVER_ROUTE, 1, 64), caller, pids);
            measure(new Case(Kind.SERVER_ROUTE, 30, 64), caller, pids);
            return null;
        });
    }

    /** What is measured against the server route: its caller, and the processes whose CPU is read. */
    @FunctionalInterface
    private interface ServerRouteMeasuring<T> {
        T measure(LoadCaller caller, Map<Role, Long> pids) throws Exception;
    }

    /** Starts the jar as server on a queue of its own with a caller, warms it up, measures, and stops it. */
    private <T> T withServerRoute(String purpose, ServerRouteMeasuring<T> measuring) throws Exception {
        String queue = "bench." + id + ".server";
        queues.add(queue);
        queues.add(queue + ".dead-letters");
        log("server route: starting the jar (RPC_ROLE=server)" + purpose);
        try (ApplicationProcess server = ApplicationProcess.start("benchmark-server", serverEnvironment(queue));
             LoadCaller caller = LoadCaller.open(factory, queue, ReplyMode.CALLBACK_QUEUE)) {
            Map<Role, Long> pids = pids(Map.of(Role.CALLER, ProcessHandle.current().pid(),
                    Role.SERVER, server.processHandle().pid()));
            log("server route: warming up (" + seconds(options.setupWarmup()) + " s)");
            caller.run(1, 64, options.setupWarmup(), DRAIN);
            return measuring.measure(caller, pids);
        }
    }

    private void gateway() throws Exception {
        String queue = "bench." + id + ".gateway";
        queues.add(queue);
        queues.add(queue + ".dead-letters");
        List<Case> cases = new ArrayList<>();
        for (int n : List.of(30, 10_000, 100_000)) {
            for (int connections : List.of(1, 64, 1000)) {
                cases.add(new Case(Kind.GATEWAY, n, connections));
            }
        }
        if (!timeLeftFor(cases.get(0))) {
            skip(cases.toArray(Case[]::new));
            return;
        }
        log("gateway: starting the jar twice (RPC_ROLE=server, RPC_ROLE=gateway)");
        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put("benchmark-gateway-server", serverEnvironment(queue));
        environments.put("benchmark-gateway", gatewayEnvironment(queue));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        try {
            ApplicationProcess server = processes.get(0);
            ApplicationProcess gateway = processes.get(1);
            Map<Role, Long> pids = pids(Map.of(Role.GATEWAY, gateway.processHandle().pid(),
                    Role.SERVER, server.processHandle().pid()));
            log("gateway: warming up (" + seconds(options.setupWarmup()) + " s)");
            Wrk.run(gateway.uri("/fib/30"), 64, options.setupWarmup(), WRK_TIMEOUT);
            awaitIdle(gateway.baseUri(), queue);
            for (Case c : cases) {
                measure(c, gateway.baseUri(), queue, pids);
            }
            gateway.close();
            minimalCamelGateway(queue, server);
            stockGateway(queue, server);
        } finally {
            // the gateway first: a server stopped first would leave the gateway's last calls waiting
            processes.get(1).close();
            processes.get(0).close();
        }
    }

    /**
     * For scale: the jar as gateway with one route of nothing but the call (MINIMAL_ROUTE, through ROUTES_DIR),
     * against the same server: what Camel's platform-http and spring-rabbitmq InOut cost by themselves.
     */
    private void minimalCamelGateway(String queue, ApplicationProcess server) throws Exception {
        Path routes = Path.of("target", "benchmark-routes").toAbsolutePath();
        Files.createDirectories(routes.resolve("gateway"));
        Files.writeString(routes.resolve("gateway").resolve("minimal-gateway.camel.yaml"), MINIMAL_ROUTE);
        scaleGateway(Kind.MINIMAL_CAMEL_GATEWAY, "ROUTES_DIR", routes.toString(), queue, server);
    }

    /**
     * For scale: the jar as gateway with every override of Camel's and Spring's internals off (RPC_TUNING=false,
     * docs/tuning.md), against the same server: what the overrides buy.
     */
    private void stockGateway(String queue, ApplicationProcess server) throws Exception {
        scaleGateway(Kind.STOCK_GATEWAY, "RPC_TUNING", "false", queue, server);
    }

    /** Measures the scale cases of a kind on the jar as gateway with one more environment variable. */
    private void scaleGateway(Kind kind, String key, String value, String queue, ApplicationProcess server)
            throws Exception {
        List<Case> cases = scaleCases(kind);
        if (cases.isEmpty()) {
            return;
        }
        Map<String, String> environment = gatewayEnvironment(queue);
        environment.put(key, value);
        log(kind.label() + ": starting the jar (RPC_ROLE=gateway, " + key + "=" + value + ")");
        String name = "benchmark-" + kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
        try (ApplicationProcess gateway = ApplicationProcess.start(name, environment)) {
            measureScaleCases(cases, gateway.baseUri(), queue, pids(Map.of(Role.GATEWAY,
                    gateway.processHandle().pid(), Role.SERVER, server.processHandle().pid())), options.setupWarmup());
        }
    }

    /** The cases of a gateway shown for scale, /fib/30 at 1 and 64 connections; none when the time is short. */
    private List<Case> scaleCases(Kind kind) {
        List<Case> cases = List.of(new Case(kind, 30, 1), new Case(kind, 30, 64));
        if (!timeLeftFor(cases.get(1))) {
            skip(cases.toArray(Case[]::new));
            return List.of();
        }
        return cases;
    }

    /** Warms the gateway at the base URI up with wrk, then measures the cases. */
    private void measureScaleCases(List<Case> cases, URI gateway, String queue, Map<Role, Long> pids, Duration warmup)
            throws IOException, InterruptedException {
        log(cases.get(0).kind().label() + ": warming up (" + seconds(warmup) + " s)");
        Wrk.run(gateway.resolve("/fib/30"), 64, warmup, WRK_TIMEOUT);
        awaitIdle(gateway, queue);
        for (Case c : cases) {
            measure(c, gateway, queue, pids);
        }
    }

    /** A case of the AMQP caller: a warm-up, then the runs, each with the CPU of every process. */
    private void measure(Case c, LoadCaller caller, Map<Role, Long> pids) throws InterruptedException {
        if (!timeLeftFor(c)) {
            skip(c);
            return;
        }
        if (!options.warmup().isZero()) {
            caller.run(c.n(), c.inFlight(), options.warmup(), DRAIN);
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < options.runs(c); i++) {
            runs.add(measureRun(c, i, caller, pids));
        }
        results.add(new CaseResult(c, runs));
    }

    /** One run of a case of the AMQP caller, with the CPU of every process. */
    private Run measureRun(Case c, int index, LoadCaller caller, Map<Role, Long> pids) throws InterruptedException {
        ProcessCpu cpu = ProcessCpu.start(pids);
        Run run = caller.run(c.n(), c.inFlight(), options.duration(c), DRAIN);
        Run measured = new Run(run.callsPerSecond(), run.p50Millis(), run.p99Millis(), run.errors(), cpu.stop());
        logRun(c, index, measured);
        return measured;
    }

    /** A case of wrk: a warm-up, then the runs; the gateway gets idle after each (wrk leaves calls in flight). */
    private void measure(Case c, URI gateway, String queue, Map<Role, Long> pids)
            throws IOException, InterruptedException {
        if (!timeLeftFor(c)) {
            skip(c);
            return;
        }
        URI url = gateway.resolve("/fib/" + c.n());
        if (!options.warmup().isZero()) {
            Wrk.run(url, c.inFlight(), options.warmup(), WRK_TIMEOUT);
            awaitIdle(gateway, queue);
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < options.runs(c); i++) {
            ProcessCpu cpu = ProcessCpu.start(pids);
            Wrk.Result wrk = Wrk.run(url, c.inFlight(), options.duration(c), WRK_TIMEOUT);
            Map<Role, Double> percent = new EnumMap<>(Role.class);
            percent.putAll(cpu.stop());
            percent.put(Role.CALLER, wrk.cpuPercent());
            Run run = wrk.run();
            runs.add(new Run(run.callsPerSecond(), run.p50Millis(), run.p99Millis(), run.errors(), percent));
            logRun(c, i, runs.get(i));
            if (run.errors() > 0) {
                log(describe(c) + ": run " + (i + 1) + ": of the errors, " + wrk.non2xx() + " answers not 2xx or 3xx, "
                        + wrk.socketErrors() + " socket errors (connect, read, write, timeout)");
            }
            awaitIdle(gateway, queue);
        }
        results.add(new CaseResult(c, runs));
    }

    /** Whether a case's warm-up and runs (a second more each, for what comes around them) end in time. */
    private boolean timeLeftFor(Case c) {
        return timeLeftFor(c, 1);
    }

    /** Whether this many cases like this one end in time. */
    private boolean timeLeftFor(Case c, int cases) {
        long caseNanos = options.warmup().toNanos()
                + options.runs(c) * (options.duration(c).toNanos() + Duration.ofSeconds(1).toNanos());
        return System.nanoTime() + cases * caseNanos - deadline < 0;
    }

    /** The cases as not measured, for the caller to place in the results. */
    private List<CaseResult> skipped(Case... cases) {
        List<CaseResult> skipped = new ArrayList<>();
        for (Case c : cases) {
            log(describe(c) + ": skipped, the time limit (" + options.timeLimit().toSeconds() + " s) is near");
            skipped.add(new CaseResult(c, List.of()));
        }
        return skipped;
    }

    private void skip(Case... cases) {
        results.addAll(skipped(cases));
    }

    /**
     * Waits until the gateway has worked off the calls wrk left behind when it stopped: a probe call is answered
     * (it queues behind them in the gateway), and nothing is ready in the queue; at most {@link #QUEUE_DRAIN}
     * each.
     */
    private void awaitIdle(URI gateway, String queue) throws IOException, InterruptedException {
        HttpRequest probe = HttpRequest.newBuilder(gateway.resolve("/fib/1")).timeout(QUEUE_DRAIN).GET().build();
        try {
            http.send(probe, HttpResponse.BodyHandlers.discarding());
        } catch (HttpTimeoutException e) {
            log("the gateway did not answer a probe within " + QUEUE_DRAIN.toSeconds() + " s after a run");
        }
        awaitDrained(queue);
    }

    /**
     * Waits, at most {@link #QUEUE_DRAIN}, until the queue holds nothing: no request ready, and none taken by a
     * server and not yet acknowledged (what rabbitmqctl counts as the queue's messages).
     */
    private void awaitDrained(String queue) {
        Rabbitmqctl rabbitmqctl = Rabbitmqctl.forTestBroker();
        try {
            await().atMost(QUEUE_DRAIN).pollInterval(Duration.ofMillis(50))
                    .until(() -> adminChannel.queueDeclarePassive(queue).getMessageCount() == 0);
            await().atMost(QUEUE_DRAIN).pollInterval(Duration.ofMillis(100))
                    .until(() -> rabbitmqctl.list("list_queues", "name", "messages").stream()
                            .noneMatch(row -> queue.equals(row.get("name"))
                                    && ((Number) row.get("messages")).longValue() > 0));
        } catch (ConditionTimeoutException e) {
            log("the queue " + queue + " still held requests " + QUEUE_DRAIN.toSeconds() + " s after a run");
        }
    }

    private Map<Role, Long> pids(Map<Role, Long> processes) {
        Map<Role, Long> pids = new EnumMap<>(Role.class);
        pids.putAll(processes);
        pids.putAll(brokerPid);
        return pids;
    }

    private Map<String, String> serverEnvironment(String queue) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("RPC_ROLE", "server");
        environment.put("RPC_QUEUE", queue);
        environment.put("RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters");
        environment.putAll(options.serverEnvironment());
        return environment;
    }

    private Map<String, String> gatewayEnvironment(String queue) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("RPC_ROLE", "gateway");
        environment.put("RPC_QUEUE", queue);
        environment.put("RPC_DEAD_LETTER_QUEUE", queue + ".dead-letters");
        environment.put("RPC_MAX_IN_FLIGHT", Integer.toString(GATEWAY_MAX_IN_FLIGHT));
        environment.putAll(options.gatewayEnvironment());
        return environment;
    }

    private void deleteQueues() {
        for (String queue : queues) {
            try {
                adminChannel.queueDelete(queue);
            } catch (IOException | RuntimeException e) {
                log("could not delete the queue " + queue + ": " + e.getMessage());
                try {
                    adminChannel = admin.createChannel(); // a failed operation closes the channel
                } catch (IOException | RuntimeException again) {
                    return;
                }
            }
        }
    }

    private static String describe(Case c) {
        return c.kind().label() + ", fib(" + c.n() + "), " + c.inFlight() + " in flight";
    }

    private void logRun(Case c, int index, Run run) {
        log(String.format(Locale.ROOT, "%s: run %d/%d: %s calls/s, p50 %s ms, p99 %s ms, %d errors, CPU %s",
                describe(c), index + 1, options.runs(c), Report.count(run.callsPerSecond()),
                Report.millis(run.p50Millis()), Report.millis(run.p99Millis()), run.errors(),
                run.cpuPercent().entrySet().stream()
                        .map(cpu -> cpu.getKey().label() + " " + Report.percent(cpu.getValue()))
                        .collect(Collectors.joining(", "))));
    }

    static void log(String message) {
        System.err.println("[benchmark] " + message);
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%s", duration.toMillis() % 1000 == 0
                ? Long.toString(duration.toSeconds()) : Double.toString(duration.toMillis() / 1000.0));
    }
}
