package io.fibonaccirpc.observe;

import java.time.Duration;

/** What the application's meters share: their names' prefix, the outcome tag, histogram buckets. */
public final class Meters {

    /** Every meter's name starts so: {@code fibonacci_rpc_} in Prometheus' text format. */
    public static final String PREFIX = "fibonacci.rpc.";
    /** The tag of meters counted by outcome. */
    public static final String OUTCOME = "outcome";

    private Meters() {
    }

    /** Durations of so many milliseconds each, as histogram buckets. */
    public static Duration[] millis(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000));
        }
        return durations;
    }
}
