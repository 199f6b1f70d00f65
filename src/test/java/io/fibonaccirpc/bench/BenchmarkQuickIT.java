package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fibonaccirpc.bench.Case.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark commands work: {@code scripts/benchmark --quick} (one short run per case) against the test
 * broker, with the jar and test classes this build made, exits 0 and writes a results table with every case
 * and figures in it, and no case has an error (a call that failed); {@code scripts/benchmark --broker-cost}, as
 * short, writes its table of every request shape. Not a timed test: the other figures themselves are not judged.
 */
class BenchmarkQuickIT {

    private static final Path OUTPUT = Path.of("target", "benchmarks-quick.md");
    private static final Path LOG = Path.of("target", "processes", "benchmark-quick.log");
    private static final Path BROKER_COST_OUTPUT = Path.of("target", "broker-cost-quick.md");
    private static final Path BROKER_COST_LOG = Path.of("target", "processes", "broker-cost-quick.log");
    private static final long TIMEOUT_SECONDS = 200;
    /** A table row: case, n, in flight, calls/s, p50, p99, errors, then the CPU and ratio columns. */
    private static final Pattern ROW = Pattern.compile(
            "^\\| ([^|]+?) \\| (\\d+) \\| (\\d+) \\| ([\\d,]+) \\| ([\\d.]+) \\| ([\\d.]+) \\| (\\d+) \\|.*$",
            Pattern.MULTILINE);

    @Test
    @Timeout(value = TIMEOUT_SECONDS + 30, unit = TimeUnit.SECONDS)
    void the_quick_benchmark_measures_every_case_without_an_error_and_writes_the_results_table() throws Exception {
        ScriptRun.toEnd(LOG, OUTPUT, TIMEOUT_SECONDS, "scripts/benchmark", "--quick", "--no-build", "--output", OUTPUT.toString());

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

    /**
     * {@code scripts/benchmark --broker-cost}, one round of 1 s per shape: a row for every request shape, each with
     * calls answered and no call failed.
     */
    @Test
    @Timeout(value = TIMEOUT_SECONDS + 30, unit = TimeUnit.SECONDS)
    void the_broker_cost_command_measures_every_request_shape_and_writes_its_table() throws Exception {
        ScriptRun.toEnd(BROKER_COST_LOG, BROKER_COST_OUTPUT, TIMEOUT_SECONDS, "scripts/benchmark", "--broker-cost", "--no-build",
                "--rounds", "1", "--duration", "1", "--output", BROKER_COST_OUTPUT.toString());
        String results = Files.readString(BROKER_COST_OUTPUT, StandardCharsets.UTF_8);
        assertTrue(results.contains(BrokerCost.BEGIN) && results.contains(BrokerCost.END), results);
        for (BrokerCost.Variant variant : BrokerCost.VARIANTS) {
            Matcher row = Pattern.compile("^\\| " + Pattern.quote(variant.name())
                    + " \\| ([\\d,]+) \\| ([\\d,]+|n/a) \\| [^|]* \\| ([\\d,]+) \\| ([\\d,]+|n/a) \\| [^|]* \\| (\\d+) \\|$",
                    Pattern.MULTILINE).matcher(results);
            assertTrue(row.find(), "no row for " + variant.name() + ":\n" + results);
            assertTrue(Double.parseDouble(row.group(1).replace(",", "")) > 0, row.group());
            assertTrue(Double.parseDouble(row.group(3).replace(",", "")) > 0, row.group());
            assertEquals("0", row.group(5), "calls failed: " + row.group());
        }
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
}
