package io.fibonaccirpc.bench;

import java.util.Map;

/**
 * The figures of one timed run of a case.
 *
 * @param callsPerSecond calls answered correctly within the run, per second of the run
 * @param p50Millis      median latency of those calls
 * @param p99Millis      99th percentile latency
 * @param errors         error replies, wrong values, non-2xx answers, socket errors and calls left unanswered
 * @param cpuPercent     CPU time of each process during the run, as % of one core
 */
record Run(double callsPerSecond, double p50Millis, double p99Millis, long errors, Map<Role, Double> cpuPercent) {
}
