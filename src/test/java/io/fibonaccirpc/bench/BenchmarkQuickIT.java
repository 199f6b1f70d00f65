package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fibonaccirpc.bench.Case.Kind;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark command works: {@code scripts/benchmark --quick} (one short run per case) against the test
 * broker, with the jar and test classes this build made, exits 0 and writes a results table with every case
 * and figures in it, and no case has an error (a call that failed). Not a timed test: the other figures
 * themselves are not judged.
 */
class BenchmarkQuickIT {

    private static final Path OUTPUT = Path.of("target", "benchmarks-quick.md");
    private static final Path LOG = Path.of("target", "processes", "benchmark-quick.log");
    private static final long TIMEOUT_SECONDS = 200;
    /** A table row: case, n, in flight, calls/s, p50, p99, errors, then the CPU and ratio columns. */
    private static final Pattern ROW = Pattern.compile(
            "^\\| ([^|]+?) \\| (\\d+) \\| (\\d+) \\| ([\\d,]+) \\| ([\\d.]+) \\| ([\\d.]+) \\| (\\d+) \\|.*$",
            Pattern.MULTILINE);

    @Test
    @Timeout(value = TIMEOUT_SECONDS + 30, unit = TimeUnit.SECONDS)
    void the_quick_benchmark_measures_every_case_without_an_error_and_writes_the_results_table() throws Exception {
        Files.deleteIfExists(OUTPUT);
        Files.createDirectories(LOG.getParent());
        ProcessBuilder benchmark = new ProcessBuilder("scripts/benchmark", "--quick", "--no-build",
                "--output", OUTPUT.toString())
                .redirectErrorStream(true)
                .redirectOutput(LOG.toFile());
        Map<String, String> environment = benchmark.environment();
        environment.putAll(TestBroker.get().environment());
        environment.put("BENCHMARK_CLASSPATH", testClassPath());
        Process process = benchmark.start();
        try {
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "scripts/benchmark --quick did not finish in " + TIMEOUT_SECONDS + " s; see " + LOG);
        } finally {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), "scripts/benchmark --quick failed; the end of " + LOG + ":\n" + tail());

        String results = Files.readString(OUTPUT, StandardCharsets.UTF_8);
        // the table of calls/s, latency and errors: the tables after it have rows of the same first columns
        String resultsTable = results.substring(0, Math.max(0, results.indexOf("### CPU per call")));
        List<String> missing = new ArrayList<>();
        List<String> failedCalls = new ArrayList<>();
        for (Case expected : everyCase()) {
            Matcher row = ROW.matcher(resultsTable);
            boolean found = false;
            while (row.find()) {
                if (row.group(1).equals(expected.kind().label()) && Integer.parseInt(row.group(2)) == expected.n()
                        && Integer.parseInt(row.group(3)) == expected.inFlight()) {
                    found = true;
                    assertTrue(Double.parseDouble(row.group(4).replace(",", "")) > 0,
                            "no call answered in " + row.group());
                    if (Long.parseLong(row.group(7)) != 0) {
                        failedCalls.add(row.group());
                    }
                }
            }
            if (!found) {
                missing.add(expected.toString());
            }
        }
        assertTrue(missing.isEmpty(), "rows missing or without figures: " + missing + "\n" + results);
        // no case may lose a call: every caller is below the gateway's RPC_MAX_IN_FLIGHT (2,000), wrk's timeout
        // (15 s) above the reply timeout, so an error is an error reply, a wrong value, a non-2xx answer, a socket
        // error or a call unanswered; the README: "at 1,000 connections no call failed"
        assertTrue(failedCalls.isEmpty(), "cases with errors (see " + LOG + "):\n" + String.join("\n", failedCalls));
        assertTrue(results.contains("### Targets of issue 4"), results);
        assertTrue(Pattern.compile("^\\| gateway end to end \\| 30 \\| 64 \\| [\\d,]+ \\| [\\d,]+ \\| [\\d,]+ \\| [\\d,]+ "
                + "\\| [\\d,]+ \\|$", Pattern.MULTILINE).matcher(results).find(),
                "no CPU per call of each process of the gateway at 64 connections:\n" + results);
        assertTrue(Pattern.compile("^\\| 100,000 \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\|", Pattern.MULTILINE)
                .matcher(results).find(), "no compute time beside the round trip of fib(100000):\n" + results);
        assertFalse(results.contains("skipped"), results);
    }

    private static List<Case> everyCase() {
        List<Case> cases = new ArrayList<>();
        for (int inFlight : List.of(1, 64)) {
            cases.add(new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, inFlight));
            cases.add(new Case(Kind.BASELINE_DIRECT_REPLY_TO, 1, inFlight));
            cases.add(new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, inFlight));
        }
        cases.add(new Case(Kind.FLOOR_GATEWAY, 30, 1));
        cases.add(new Case(Kind.FLOOR_GATEWAY, 30, 64));
        cases.add(new Case(Kind.MINIMAL_CAMEL_GATEWAY, 30, 1));
        cases.add(new Case(Kind.MINIMAL_CAMEL_GATEWAY, 30, 64));
        cases.add(new Case(Kind.STOCK_GATEWAY, 30, 1));
        cases.add(new Case(Kind.STOCK_GATEWAY, 30, 64));
        cases.add(new Case(Kind.SERVER_ROUTE, 1, 64));
        cases.add(new Case(Kind.SERVER_ROUTE, 30, 64));
        for (int n : List.of(30, 10_000, 100_000)) {
            for (int connections : List.of(1, 64, 1000)) {
                cases.add(new Case(Kind.GATEWAY, n, connections));
            }
        }
        return cases;
    }

    /** This JVM's class path (failsafe's, with the test classes), for the benchmark's own JVM. */
    private static String testClassPath() {
        String classPath = System.getProperty("surefire.test.class.path");
        return classPath == null || classPath.isBlank() ? System.getProperty("java.class.path") : classPath;
    }

    private static String tail() {
        try {
            List<String> lines = Files.readAllLines(LOG, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (Exception e) {
            return "(cannot read " + LOG + ": " + e + ")";
        }
    }
}
