package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;

import io.fibonaccirpc.bench.Case.Kind;

/**
 * The results as Markdown: one table of every case with its ratios to the baseline, the targets of issue 4,
 * the server's compute time beside the round trip, and how it was measured. {@link #writeTo} replaces the
 * part of the results file between its markers and keeps the rest (the notes of what was tried).
 */
final class Report {

    static final String BEGIN = "<!-- benchmark results: begin (written by scripts/benchmark) -->";
    static final String END = "<!-- benchmark results: end -->";

    private final List<CaseResult> results;
    private final List<ComputeTime> computeTimes;
    private final Map<String, String> machine;
    private final Map<String, String> settings;
    private final String run;

    Report(List<CaseResult> results, List<ComputeTime> computeTimes, Map<String, String> machine,
            Map<String, String> settings, String run) {
        this.results = results;
        this.computeTimes = computeTimes;
        this.machine = machine;
        this.settings = settings;
        this.run = run;
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("## Results\n\n").append(run).append("\n\n");
        machine.forEach((key, value) -> out.append("- ").append(key).append(": ").append(value).append('\n'));
        out.append("\nMedians of the runs of each case; errors are those of all runs together; CPU is % of one ")
                .append("core (the machine has ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores) for each process, over each run. Ratios are to the baseline with the shared ")
                .append("reply queue at the same n and in flight. The last column shows how far the runs of a case ")
                .append("were apart on this shared machine.\n\n");
        out.append(table());
        out.append("\n### CPU per call\n\n")
                .append("The CPU time each process spent per call answered (its CPU over the run divided by the ")
                .append("calls answered in it), medians of the runs, in microseconds: steadier than calls/s on a ")
                .append("shared machine. The machine's total is the sum.\n\n")
                .append(cpuPerCallTable());
        out.append("\n### Targets of issue 4, from this run\n\n").append(targets());
        out.append("\n### The server's compute time beside the round trip\n\n")
                .append("The computation alone, timed in the benchmark's own JVM just before the gateway cases ")
                .append("(warmed up, then the median of the calls in a timed stretch), beside the gateway's p50: ")
                .append("what is left is what the HTTP and RPC legs add.\n\n")
                .append(computeTable());
        out.append("\n### How it was measured\n\n");
        settings.forEach((key, value) -> out.append("- ").append(key).append(": ").append(value).append('\n'));
        return out.toString();
    }

    /** Writes the results between the markers of the file, or a new file with them when it has none. */
    void writeTo(Path file) throws IOException {
        writeBetween(file, BEGIN, END, markdown(), Report::template);
    }

    /**
     * Replaces the part of the file between the two markers with the content (the markers kept); a file without
     * them becomes what {@code withoutMarkers} makes of the new block (markers and content).
     */
    static void writeBetween(Path file, String beginMarker, String endMarker, String content,
            UnaryOperator<String> withoutMarkers) throws IOException {
        String block = beginMarker + "\n" + content + endMarker;
        String text;
        String existing = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        int begin = existing.indexOf(beginMarker);
        int end = existing.indexOf(endMarker);
        if (begin >= 0 && end > begin) {
            text = existing.substring(0, begin) + block + existing.substring(end + endMarker.length());
        } else {
            text = withoutMarkers.apply(block);
        }
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String template(String block) {
        return """
                # Benchmarks

                How much of the broker's capacity the gateway turns into answered calls (issue 4). One command,
                against the local broker, measures a plain `amqp-client` caller and server (the baseline), for scale
                the floor of an HTTP gateway (Vert.x and `amqp-client` alone) and a Camel route of nothing but the call,
                our server route alone, and the gateway end to end under `wrk`; it stops by itself (about fourteen
                minutes of measuring):

                ```sh
                scripts/benchmark            # the full run; rewrites the results below
                scripts/benchmark --quick    # one short run per case, about a minute, into target/ (CI runs it)
                ```

                Each run rewrites the part between the markers; the rest of this file is kept.

                %s

                ## What was tried

                - Nothing yet: record each change here with the figures before and after it, including what did not
                  help.
                """.formatted(block);
    }

    private String table() {
        StringBuilder out = new StringBuilder();
        out.append("| case | n | in flight (connections) | calls/s | p50 (ms) | p99 (ms) | errors |");
        for (Role role : Role.values()) {
            out.append(" CPU ").append(role.label()).append(" |");
        }
        out.append(" calls/s vs baseline | p50 vs baseline | calls/s of the runs, lowest to highest |\n");
        out.append("|---|---:|---:|---:|---:|---:|---:|");
        out.append("---:|".repeat(Role.values().length)).append("---:|---:|---:|\n");
        for (CaseResult result : results) {
            Case c = result.benchmarkCase();
            out.append("| ").append(c.kind().label()).append(" | ").append(c.n()).append(" | ")
                    .append(c.inFlight()).append(" | ");
            if (!result.measured()) {
                out.append("skipped (time limit) |".repeat(4 + Role.values().length + 3)).append('\n');
                continue;
            }
            out.append(count(result.callsPerSecond())).append(" | ")
                    .append(millis(result.p50Millis())).append(" | ")
                    .append(millis(result.p99Millis())).append(" | ")
                    .append(result.errors()).append(" |");
            for (Role role : Role.values()) {
                out.append(' ').append(percent(result.cpuPercent(role))).append(" |");
            }
            Optional<CaseResult> baseline = c.kind() == Kind.BASELINE_CALLBACK_QUEUE ? Optional.empty()
                    : find(c.baseline());
            out.append(' ').append(baseline.map(b -> ratio(result.callsPerSecond() / b.callsPerSecond())).orElse(""))
                    .append(" | ")
                    .append(baseline.map(b -> ratio(result.p50Millis() / b.p50Millis())).orElse(""))
                    .append(" | ").append(count(result.lowestCallsPerSecond())).append(" - ")
                    .append(count(result.highestCallsPerSecond())).append(" |\n");
        }
        return out.toString();
    }

    private String cpuPerCallTable() {
        StringBuilder out = new StringBuilder("| case | n | in flight (connections) |");
        for (Role role : Role.values()) {
            out.append(' ').append(role.label()).append(" (us) |");
        }
        out.append(" total (us) |\n|---|---:|---:|").append("---:|".repeat(Role.values().length + 1)).append('\n');
        for (CaseResult result : results) {
            if (!result.measured()) {
                continue;
            }
            Case c = result.benchmarkCase();
            out.append("| ").append(c.kind().label()).append(" | ").append(c.n()).append(" | ").append(c.inFlight())
                    .append(" |");
            double total = 0;
            for (Role role : Role.values()) {
                double micros = result.cpuMicrosPerCall(role);
                out.append(' ').append(Double.isNaN(micros) ? "n/a" : count(micros)).append(" |");
                total += Double.isNaN(micros) ? 0 : micros;
            }
            out.append(' ').append(count(total)).append(" |\n");
        }
        return out.toString();
    }

    private String targets() {
        StringBuilder out = new StringBuilder();
        out.append("| target | this run | baseline (same run) | ratio | goal | met |\n|---|---:|---|---:|---|---|\n");
        target(out, "gateway end to end, /fib/30 at 64 connections: calls/s", new Case(Kind.GATEWAY, 30, 64),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64), CaseResult::callsPerSecond, true, 0.5);
        target(out, "the same, against the baseline's fib(1)", new Case(Kind.GATEWAY, 30, 64),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, 64), CaseResult::callsPerSecond, true, 0.5);
        target(out, "gateway end to end, /fib/30 at 1 connection: p50", new Case(Kind.GATEWAY, 30, 1),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 1), CaseResult::p50Millis, false, 2);
        target(out, "the same, against the baseline's fib(1)", new Case(Kind.GATEWAY, 30, 1),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, 1), CaseResult::p50Millis, false, 2);
        target(out, "server route alone, fib(1) at 64 in flight: calls/s", new Case(Kind.SERVER_ROUTE, 1, 64),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 1, 64), CaseResult::callsPerSecond, true, 0.9);
        target(out, "server route alone, fib(30) at 64 in flight: calls/s", new Case(Kind.SERVER_ROUTE, 30, 64),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64), CaseResult::callsPerSecond, true, 0.9);
        reference(out, "for scale, no goal: the floor (plain HTTP gateway), /fib/30 at 64 connections: calls/s",
                new Case(Kind.FLOOR_GATEWAY, 30, 64), new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64),
                CaseResult::callsPerSecond, true);
        reference(out, "for scale: our gateway against the floor, /fib/30 at 64 connections: calls/s",
                new Case(Kind.GATEWAY, 30, 64), new Case(Kind.FLOOR_GATEWAY, 30, 64), CaseResult::callsPerSecond, true);
        reference(out, "for scale: the floor, /fib/30 at 1 connection: p50", new Case(Kind.FLOOR_GATEWAY, 30, 1),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 1), CaseResult::p50Millis, false);
        reference(out, "for scale: the minimal Camel gateway (one route of nothing but the call), /fib/30 at 64 "
                + "connections: calls/s", new Case(Kind.MINIMAL_CAMEL_GATEWAY, 30, 64),
                new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64), CaseResult::callsPerSecond, true);
        reference(out, "for scale: our gateway against the minimal Camel gateway, /fib/30 at 64 connections: calls/s",
                new Case(Kind.GATEWAY, 30, 64), new Case(Kind.MINIMAL_CAMEL_GATEWAY, 30, 64),
                CaseResult::callsPerSecond, true);
        reference(out, "for scale: the stock components (RPC_TUNING=false), /fib/30 at 64 connections: calls/s",
                new Case(Kind.STOCK_GATEWAY, 30, 64), new Case(Kind.BASELINE_CALLBACK_QUEUE, 30, 64),
                CaseResult::callsPerSecond, true);
        reference(out, "what the overrides buy: our gateway against the stock components, /fib/30 at 64 connections: "
                + "calls/s", new Case(Kind.GATEWAY, 30, 64), new Case(Kind.STOCK_GATEWAY, 30, 64),
                CaseResult::callsPerSecond, true);
        reference(out, "what the overrides buy: our gateway against the stock components, /fib/30 at 1 connection: "
                + "p50", new Case(Kind.GATEWAY, 30, 1), new Case(Kind.STOCK_GATEWAY, 30, 1), CaseResult::p50Millis,
                false);
        for (CaseResult result : results) {
            Case c = result.benchmarkCase();
            if (c.kind() == Kind.GATEWAY && c.inFlight() >= 1000 && result.measured()) {
                out.append("| gateway end to end, /fib/").append(c.n()).append(" at ").append(count(c.inFlight()))
                        .append(" connections: errors (p99 ").append(millis(result.p99Millis())).append(" ms) | ")
                        .append(result.errors()).append(" | | | 0 | ")
                        .append(result.errors() == 0 ? "yes" : "no").append(" |\n");
            }
        }
        return out.toString();
    }

    private void target(StringBuilder out, String name, Case measured, Case baseline,
            ToDoubleFunction<CaseResult> figure, boolean higherIsBetter, double goal) {
        row(out, name, measured, baseline, figure, higherIsBetter, OptionalDouble.of(goal));
    }

    /** A row with a ratio and no goal: what puts the targets in scale. */
    private void reference(StringBuilder out, String name, Case measured, Case baseline,
            ToDoubleFunction<CaseResult> figure, boolean higherIsBetter) {
        row(out, name, measured, baseline, figure, higherIsBetter, OptionalDouble.empty());
    }

    private void row(StringBuilder out, String name, Case measured, Case baseline,
            ToDoubleFunction<CaseResult> figure, boolean higherIsBetter, OptionalDouble goal) {
        Optional<CaseResult> ours = find(measured).filter(CaseResult::measured);
        Optional<CaseResult> base = find(baseline).filter(CaseResult::measured);
        String unit = higherIsBetter ? " calls/s" : " ms";
        out.append("| ").append(name).append(" | ");
        if (ours.isEmpty() || base.isEmpty()) {
            out.append("not measured | | | | |\n");
            return;
        }
        double value = figure.applyAsDouble(ours.get());
        double reference = figure.applyAsDouble(base.get());
        double ratio = value / reference;
        out.append(higherIsBetter ? count(value) : millis(value)).append(unit).append(" | ")
                .append(higherIsBetter ? count(reference) : millis(reference)).append(unit).append(" (")
                .append(baseline.kind().label()).append(", fib(").append(baseline.n()).append("), ")
                .append(baseline.inFlight()).append(" in flight) | ")
                .append(ratio(ratio)).append(" | ");
        if (goal.isEmpty()) {
            out.append("| |\n");
            return;
        }
        double target = goal.getAsDouble();
        out.append(higherIsBetter ? ">= " : "<= ").append(target).append("x | ")
                .append((higherIsBetter ? ratio >= target : ratio <= target) ? "yes" : "no").append(" |\n");
    }

    private String computeTable() {
        StringBuilder out = new StringBuilder();
        out.append("| n | `Fibonacci.of(n)` (ms) | `Fibonacci.reply(\"n\")`, with the decimal text (ms) |")
                .append(" gateway p50, 1 connection (ms) | gateway p50, 64 connections (ms) |")
                .append(" what the RPC adds at 1 connection (ms) |\n|---:|---:|---:|---:|---:|---:|\n");
        for (ComputeTime compute : computeTimes) {
            Optional<CaseResult> one = find(new Case(Kind.GATEWAY, compute.n(), 1)).filter(CaseResult::measured);
            Optional<CaseResult> many = find(new Case(Kind.GATEWAY, compute.n(), 64)).filter(CaseResult::measured);
            out.append("| ").append(count(compute.n())).append(" | ").append(millis(compute.ofMillis()))
                    .append(" | ").append(millis(compute.replyMillis())).append(" | ")
                    .append(one.map(r -> millis(r.p50Millis())).orElse("")).append(" | ")
                    .append(many.map(r -> millis(r.p50Millis())).orElse("")).append(" | ")
                    .append(one.map(r -> difference(r.p50Millis() - compute.replyMillis())).orElse(""))
                    .append(" |\n");
        }
        return out.toString();
    }

    private Optional<CaseResult> find(Case c) {
        return results.stream().filter(result -> result.benchmarkCase().equals(c)).findFirst();
    }

    static String count(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%,.0f", value);
    }

    static String millis(double value) {
        if (Double.isNaN(value) || value < 0) {
            return "n/a";
        }
        String format = value < 0.01 ? "%.4f" : value < 10 ? "%.3f" : value < 100 ? "%.2f" : "%.1f";
        return String.format(Locale.ROOT, format, value);
    }

    /** A difference of milliseconds, which may be negative when noise beats it. */
    static String difference(double value) {
        return value < 0 ? "-" + millis(-value) : millis(value);
    }

    static String percent(double value) {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", value);
    }

    static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "" : String.format(Locale.ROOT, "%.2fx", value);
    }

    /** Environment variables as {@code KEY=VALUE, ...}, sorted. */
    static String environment(Map<String, String> environment) {
        return new TreeMap<>(environment).entrySet().stream().map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
                .reduce((a, b) -> a + ", " + b).orElse("(none)");
    }
}
