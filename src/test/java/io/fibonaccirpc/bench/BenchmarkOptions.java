package io.fibonaccirpc.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's command line (scripts/benchmark passes its own on): the length of everything, where the
 * results go, and settings for the jar processes.
 */
record BenchmarkOptions(boolean quick, Path output, int runs, Duration duration, Duration warmup,
        Duration setupWarmup, int crowdRuns, Duration crowdDuration, Duration timeLimit, long brokerPid,
        String command, String revision, Map<String, String> serverEnvironment, Map<String, String> gatewayEnvironment,
        Set<String> parts) {

    /** The parts of a run, in the order they run; {@code --only} picks some. */
    static final List<String> PARTS = List.of("baseline", "server", "gateway");

    static final String USAGE = """
            usage: Benchmark [--quick] [--output FILE] [--runs N] [--duration SECONDS] [--warmup SECONDS]
                             [--setup-warmup SECONDS] [--crowd-runs N] [--crowd-duration SECONDS]
                             [--time-limit SECONDS] [--broker-pid PID]
                             [--server-env KEY=VALUE]... [--gateway-env KEY=VALUE]...
                             [--only baseline,server,gateway]
                             [--command TEXT] [--revision TEXT]""";

    static BenchmarkOptions parse(String... args) {
        boolean quick = false;
        for (String arg : args) {
            quick |= arg.equals("--quick");
        }
        // full: 5 runs of 3 s per case; quick (CI): one run of 1 s and no warm-up of the case, so it only shows
        // that the command works. At 1,000 connections the first answers come after a latency of seconds
        // (fib(100000): about 5 s here), so those runs are longer and fewer.
        Path output = Path.of(quick ? "target/benchmarks-quick.md" : "docs/benchmarks.md");
        int runs = quick ? 1 : 5;
        Duration duration = Duration.ofSeconds(quick ? 1 : 3);
        Duration warmup = Duration.ofMillis(quick ? 0 : 2000);
        // the jars' JIT compilers take about half a minute of load to settle on 2 cores; the baseline gets a third
        Duration setupWarmup = Duration.ofSeconds(quick ? 2 : 30);
        int crowdRuns = quick ? 1 : 3;
        Duration crowdDuration = Duration.ofSeconds(quick ? 8 : 10);
        Duration timeLimit = Duration.ofSeconds(quick ? 150 : 840);
        long brokerPid = -1;
        String command = "";
        String revision = "";
        Map<String, String> serverEnvironment = new LinkedHashMap<>();
        Map<String, String> gatewayEnvironment = new LinkedHashMap<>();
        Set<String> parts = new LinkedHashSet<>(PARTS);
        boolean outputGiven = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--quick")) {
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown option or missing value: " + arg + "\n" + USAGE);
            }
            String value = args[++i];
            switch (arg) {
                case "--output" -> {
                    output = Path.of(value);
                    outputGiven = true;
                }
                case "--only" -> {
                    parts = new LinkedHashSet<>(Arrays.asList(value.split(",")));
                    if (parts.isEmpty() || !PARTS.containsAll(parts)) {
                        throw new IllegalArgumentException("--only takes some of " + PARTS + ", was " + value);
                    }
                }
                case "--runs" -> runs = Integer.parseInt(value);
                case "--duration" -> duration = seconds(value);
                case "--warmup" -> warmup = seconds(value);
                case "--setup-warmup" -> setupWarmup = seconds(value);
                case "--crowd-runs" -> crowdRuns = Integer.parseInt(value);
                case "--crowd-duration" -> crowdDuration = seconds(value);
                case "--time-limit" -> timeLimit = seconds(value);
                case "--broker-pid" -> brokerPid = value.isBlank() ? -1 : Long.parseLong(value);
                case "--command" -> command = value;
                case "--revision" -> revision = value;
                case "--server-env" -> put(serverEnvironment, value);
                case "--gateway-env" -> put(gatewayEnvironment, value);
                default -> throw new IllegalArgumentException("unknown option: " + arg + "\n" + USAGE);
            }
        }
        if (runs < 1 || crowdRuns < 1 || duration.toMillis() <= 0 || crowdDuration.toMillis() <= 0) {
            throw new IllegalArgumentException("the runs and their durations must be positive\n" + USAGE);
        }
        if (parts.size() < PARTS.size() && !outputGiven) {
            // a part of a run has no ratios to compare: it never replaces the results file
            output = Path.of("target/benchmarks-" + String.join("-", parts) + ".md");
        }
        return new BenchmarkOptions(quick, output, runs, duration, warmup, setupWarmup, crowdRuns, crowdDuration,
                timeLimit, brokerPid, command, revision, Map.copyOf(serverEnvironment), Map.copyOf(gatewayEnvironment),
                Set.copyOf(parts));
    }

    private static Duration seconds(String value) {
        return Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
    }

    /** Runs of a case: fewer, longer ones at 1,000 connections. */
    int runs(Case c) {
        return c.crowd() ? crowdRuns : runs;
    }

    Duration duration(Case c) {
        return c.crowd() ? crowdDuration : duration;
    }

    private static void put(Map<String, String> environment, String assignment) {
        int equals = assignment.indexOf('=');
        if (equals < 1) {
            throw new IllegalArgumentException("expected KEY=VALUE, was " + assignment);
        }
        environment.put(assignment.substring(0, equals), assignment.substring(equals + 1));
    }
}
