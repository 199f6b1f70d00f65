package io.fibonaccirpc.chaos;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.fibonaccirpc.chaos.ChaosSoak.Fault;
import io.fibonaccirpc.chaos.ChaosSoak.Options;

/**
 * What a soak's callers saw, checked call by call against the README's promises, and written as Markdown: every
 * call that is neither right (fib(n), or the 400 problem of a bad n) nor a promised problem of a fault it
 * overlaps (the fault's span and the {@link ChaosSoak#WINDOW_AFTER_MILLIS} after it) breaks a promise; so does
 * an acknowledgement the broker refused ({@code unknown delivery tag}).
 */
final class ChaosReport {

    private final Options options;
    private final List<ChaosCall> calls;
    private final List<Fault> faults;
    private final Map<String, Double> countsAtLoad;
    private final Map<String, Double> countsAtEnd;
    private final long totalMillis;
    private final long unknownDeliveryTags;
    private final long preconditionFailures;
    /** Every broken promise: what kind, during which faults, what the caller got, and the call. */
    private record Broken(String kind, String during, String outcome, String example) {
        @Override
        public String toString() {
            return kind + (during.isEmpty() ? "" : " during " + during) + ": " + example;
        }
    }

    private final List<Broken> broken = new ArrayList<>();
    private long wrong;
    private long unanswered;
    private long outsideFaults;
    private long unpromised;
    private long promised;
    private long right;

    ChaosReport(Options options, List<ChaosCall> calls, List<Fault> faults, Map<String, Double> countsAtLoad,
                Map<String, Double> countsAtEnd, long totalMillis, long unknownDeliveryTags,
                long preconditionFailures) {
        this.options = options;
        this.calls = calls;
        this.faults = faults;
        this.countsAtLoad = countsAtLoad;
        this.countsAtEnd = countsAtEnd;
        this.totalMillis = totalMillis;
        this.unknownDeliveryTags = unknownDeliveryTags;
        this.preconditionFailures = preconditionFailures;
        check();
    }

    private void check() {
        for (ChaosCall call : calls) {
            if (call.wrong()) {
                wrong++;
                broken.add(new Broken("a wrong answer", "", call.outcome(), call.toString()));
            } else if (!call.answered()) {
                unanswered++;
                broken.add(new Broken("no answer", "", call.outcome(), call.toString()));
            } else if (call.right()) {
                right++;
            } else {
                List<Fault> during = faultsOf(call);
                Set<String> allowed = new HashSet<>();
                during.forEach(fault -> allowed.addAll(fault.kind().promised()));
                if (during.isEmpty()) {
                    outsideFaults++;
                    broken.add(new Broken("a failure outside any fault", "", call.outcome(), call.toString()));
                } else if (call.status() >= 500 && allowed.contains(call.problemType())
                        && (call.status() != 503 || call.retryAfter() != null)) {
                    promised++;
                } else {
                    unpromised++;
                    broken.add(new Broken("a failure not promised", during.stream().map(f -> "#" + f.number() + " "
                            + f.kind().label()).collect(Collectors.joining(", ")), call.outcome(), call.toString()));
                }
            }
        }
        if (unknownDeliveryTags > 0) {
            broken.add(new Broken("the broker closed channels for an unknown delivery tag", "",
                    unknownDeliveryTags + " times", "see the node's log"));
        }
    }

    private List<Fault> faultsOf(ChaosCall call) {
        return faults.stream().filter(fault -> call.overlaps(fault.startMillis(),
                fault.endMillis() + ChaosSoak.WINDOW_AFTER_MILLIS)).toList();
    }

    /** Every broken promise, one line each; empty when the soak kept them all. */
    List<String> broken() {
        return broken.stream().map(Broken::toString).toList();
    }

    /** The kinds of fault the soak injected. */
    Set<FaultKind> faultKinds() {
        return faults.stream().map(Fault::kind).collect(Collectors.toCollection(() -> EnumSet.noneOf(FaultKind.class)));
    }

    String summary() {
        return String.format("chaos soak, seed %d, %d faults over %.0f s: %d calls, %d right, %d promised failures; "
                        + "%d wrong, %d unanswered, %d failures outside any fault, %d failures not promised for "
                        + "their fault, %d unknown delivery tags: %s",
                options.seed(), faults.size(), totalMillis / 1000.0, calls.size(), right, promised, wrong, unanswered,
                outsideFaults, unpromised, unknownDeliveryTags,
                broken.isEmpty() ? "every promise kept" : broken.size() + " broken promises");
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Chaos soak report\n\n")
                .append("Two servers and two gateways (the packaged jar, four processes) on a RabbitMQ node of their ")
                .append("own, ").append(ChaosSoak.CALLS_PER_SECOND).append(" calls a second of `GET /fib/{n}` ")
                .append("spread over both gateways (n from 0 to ").append(ChaosLoad.MAX_N)
                .append(", 3% bad), reply timeout ").append(ChaosSoak.REPLY_TIMEOUT_MILLIS)
                .append(" ms, and a seeded random schedule of faults. Every call is checked: the value exact, a bad ")
                .append("n a 400 problem, and every other answer a 5xx problem of a type the README promises for a ")
                .append("fault it overlaps (the fault and the ").append(ChaosSoak.WINDOW_AFTER_MILLIS / 1000)
                .append(" s after it), a 503 with `Retry-After`. Written by `scripts/chaos` (`ChaosSoak`).\n\n");
        md.append("- Date: ").append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                .format(Instant.now().atOffset(ZoneOffset.UTC))).append('\n');
        md.append("- Command: `").append(options.command()).append("`; seed ").append(options.seed())
                .append(options.quick() ? ", every fault kind once" : "").append(", ")
                .append(String.format("%.0f s", totalMillis / 1000.0)).append(" in all\n");
        md.append("- Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, Java ")
                .append(System.getProperty("java.version")).append('\n');
        md.append("- Result: **").append(broken.isEmpty() ? "every promise kept" : broken.size() + " broken promises")
                .append("**\n\n");

        md.append("| calls | right | promised failures | wrong | unanswered | failures outside a fault | failures not ")
                .append("promised for their fault | `unknown delivery tag` | broker `PRECONDITION_FAILED` lines |\n")
                .append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        md.append(String.format("| %d | %d | %d | %d | %d | %d | %d | %d | %d |%n%n", calls.size(), right, promised,
                wrong, unanswered, outsideFaults, unpromised, unknownDeliveryTags, preconditionFailures));

        md.append("## By kind of fault\n\n")
                .append("Recovery: from the fault's end to the start of the first call answered right after it, the ")
                .append("slower gateway of the two. Computations per answered call: what the servers computed ")
                .append("(their meters) from the fault's start to the next one's, over the 200s of the calls ")
                .append("started then; above 1, requests computed twice or for callers who had given up.\n\n")
                .append("| fault | promised 5xx | times | largest recovery (ms) | goal (ms) | computations per ")
                .append("answered call | dropped past their deadline |\n|---|---|--:|--:|--:|--:|--:|\n");
        Map<FaultKind, List<FaultRow>> byKind = new EnumMap<>(FaultKind.class);
        List<FaultRow> rows = new ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            FaultRow row = new FaultRow(faults.get(i), i + 1 < faults.size() ? faults.get(i + 1) : null);
            rows.add(row);
            byKind.computeIfAbsent(row.fault.kind(), kind -> new ArrayList<>()).add(row);
        }
        byKind.forEach((kind, kindRows) -> {
            OptionalLong slowest = kindRows.stream().mapToLong(FaultRow::slowestRecovery).max();
            double computations = kindRows.stream().mapToDouble(row -> row.computations).sum();
            long answered = kindRows.stream().mapToLong(row -> row.answered).sum();
            md.append(String.format("| %s | %s | %d | %s | %s | %s | %.0f |%n", kind.label(),
                    kind.promised().isEmpty() ? "none" : kind.promised().stream().sorted().map(t -> "`" + t + "`")
                            .collect(Collectors.joining(", ")),
                    kindRows.size(), slowest.isPresent() && slowest.getAsLong() >= 0 ? slowest.getAsLong() : "none",
                    kind.recoveryGoalMillis() < 0 ? "" : Long.toString(kind.recoveryGoalMillis()),
                    answered == 0 ? "n/a" : String.format("%.3f", computations / answered),
                    kindRows.stream().mapToDouble(row -> row.expired).sum()));
        });

        md.append("\n## Fault by fault\n\n")
                .append("| # | fault | target | at (s) | lasted (ms) | calls | what callers saw | broken | recovery ")
                .append("by gateway (ms) | computations per answered call |\n|--:|---|---|--:|--:|--:|---|--:|---|--:|\n");
        for (FaultRow row : rows) {
            md.append(String.format("| %d | %s | %s | %.1f | %d | %d | %s | %d | %s | %s |%n", row.fault.number(),
                    row.fault.kind().label(), row.fault.target(), row.fault.startMillis() / 1000.0,
                    row.fault.endMillis() - row.fault.startMillis(), row.callsInWindow, row.outcomes, row.broken,
                    row.recoveries.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue() < 0 ? "none"
                            : e.getValue())).collect(Collectors.joining(", ")),
                    row.answered == 0 ? "n/a" : String.format("%.3f", row.computations / row.answered)));
        }
        md.append("\nBefore the first fault the servers had computed ")
                .append(String.format("%.0f", countsAtLoad.getOrDefault("ok", 0.0)))
                .append(" values; at the end ").append(String.format("%.0f", countsAtEnd.getOrDefault("ok", 0.0)))
                .append(".\n");

        if (!broken.isEmpty()) {
            md.append("\n## Broken promises\n\n| what | during | callers got | times | the first |\n")
                    .append("|---|---|---|--:|---|\n");
            Map<List<String>, List<Broken>> groups = new LinkedHashMap<>();
            broken.forEach(b -> groups.computeIfAbsent(List.of(b.kind(), b.during(), b.outcome()),
                    key -> new ArrayList<>()).add(b));
            groups.forEach((key, group) -> md.append(String.format("| %s | %s | %s | %d | %s |%n", key.get(0),
                    key.get(1), key.get(2), group.size(), group.get(0).example().replace("|", "\\|"))));
        }
        return md.toString();
    }

    /** One fault as its callers saw it. */
    private final class FaultRow {
        final Fault fault;
        final int callsInWindow;
        final String outcomes;
        final long broken;
        final Map<String, Long> recoveries = new TreeMap<>();
        final double computations;
        final double expired;
        final long answered;

        FaultRow(Fault fault, Fault next) {
            this.fault = fault;
            long windowEnd = fault.endMillis() + ChaosSoak.WINDOW_AFTER_MILLIS;
            List<ChaosCall> inWindow = calls.stream().filter(call -> call.overlaps(fault.startMillis(), windowEnd))
                    .toList();
            callsInWindow = inWindow.size();
            Map<String, Long> byOutcome = new LinkedHashMap<>();
            inWindow.stream().map(ChaosCall::outcome).sorted()
                    .forEach(outcome -> byOutcome.merge(outcome, 1L, Long::sum));
            outcomes = byOutcome.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "));
            broken = ChaosReport.this.broken.stream().filter(b -> b.during().contains("#" + fault.number() + " ")).count();
            long spanEnd = next != null ? next.startMillis() : Long.MAX_VALUE;
            for (String gateway : calls.stream().map(ChaosCall::gateway).filter(g -> !g.equals("?")).distinct()
                    .sorted().toList()) {
                recoveries.put(gateway, calls.stream()
                        .filter(call -> call.gateway().equals(gateway) && !call.badN() && call.right()
                                && call.startMillis() >= fault.endMillis() && call.startMillis() < spanEnd)
                        .min(Comparator.comparingLong(ChaosCall::startMillis))
                        .map(call -> call.startMillis() - fault.endMillis()).orElse(-1L));
            }
            Map<String, Double> until = next != null ? next.serverCountsAtStart() : countsAtEnd;
            computations = until.getOrDefault("ok", 0.0) - fault.serverCountsAtStart().getOrDefault("ok", 0.0);
            expired = until.getOrDefault("expired", 0.0) - fault.serverCountsAtStart().getOrDefault("expired", 0.0);
            answered = calls.stream().filter(call -> !call.badN() && call.right() && call.startMillis() >= fault.startMillis()
                    && call.startMillis() < spanEnd).count();
        }

        /** The slower gateway's recovery, ms; -1 when a gateway never answered right after the fault. */
        long slowestRecovery() {
            return recoveries.values().stream().anyMatch(millis -> millis < 0) ? -1
                    : recoveries.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        }
    }
}
