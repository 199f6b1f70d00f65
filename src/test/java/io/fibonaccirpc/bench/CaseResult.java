package io.fibonaccirpc.bench;

import java.util.List;

/** The runs of a case and their medians; no runs when the case was skipped (the time limit). */
record CaseResult(Case benchmarkCase, List<Run> runs) {

    boolean measured() {
        return !runs.isEmpty();
    }

    double callsPerSecond() {
        return Stats.median(runs.stream().map(Run::callsPerSecond).toList());
    }

    double lowestCallsPerSecond() {
        return runs.stream().mapToDouble(Run::callsPerSecond).min().orElse(Double.NaN);
    }

    double highestCallsPerSecond() {
        return runs.stream().mapToDouble(Run::callsPerSecond).max().orElse(Double.NaN);
    }

    double p50Millis() {
        return Stats.median(runs.stream().map(Run::p50Millis).toList());
    }

    double p99Millis() {
        return Stats.median(runs.stream().map(Run::p99Millis).toList());
    }

    /** Errors of all runs together (not a median: one error is one too many). */
    long errors() {
        return runs.stream().mapToLong(Run::errors).sum();
    }

    /**
     * Median over the runs of the CPU time the process in this role spent per call answered, in microseconds; NaN
     * when the case has no such process.
     */
    double cpuMicrosPerCall(Role role) {
        return Stats.median(runs.stream().map(run -> run.cpuPercent().getOrDefault(role, Double.NaN)
                * 10_000 / run.callsPerSecond()).toList());
    }

    /** Median CPU of the process in this role, % of one core; NaN when the case has no such process. */
    double cpuPercent(Role role) {
        return Stats.median(runs.stream().map(run -> run.cpuPercent().getOrDefault(role, Double.NaN)).toList());
    }
}
