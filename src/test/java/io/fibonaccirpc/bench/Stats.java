package io.fibonaccirpc.bench;

import java.util.Arrays;
import java.util.List;

/** The percentile and median arithmetic of the benchmark, in one place. */
final class Stats {

    private Stats() {
    }

    /**
     * The nearest-rank percentile of sorted values: the smallest value with at least {@code fraction} of the
     * values at or below it ({@code fraction} 0.5 is the median, 0.99 the 99th percentile); -1 for no values.
     */
    static long percentile(long[] sorted, int length, double fraction) {
        if (length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(fraction * length);
        return sorted[Math.min(length - 1, Math.max(0, rank - 1))];
    }

    /** The median of the figures (the mean of the middle two for an even count); NaN for none. */
    static double median(List<Double> figures) {
        double[] sorted = figures.stream().mapToDouble(Double::doubleValue).filter(value -> !Double.isNaN(value))
                .sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** The median of measured durations, in nanoseconds. */
    static double medianNanos(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }
}
