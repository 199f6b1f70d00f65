package io.fibonaccirpc.bench;

import java.time.Duration;
import java.util.Arrays;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.wire.Argument;



/**
 * The server's work alone, timed in this JVM: {@code Fibonacci.of(n)}, and {@code Fibonacci.reply} (the same
 * with the request text read and the value written as decimal text, what the server route calls).
 *
 * @param ofMillis    median time of {@code of(n)}
 * @param replyMillis median time of {@code reply("n")}
 */
record ComputeTime(int n, double ofMillis, double replyMillis) {

    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final Argument ARGUMENT = new Argument(Fibonacci.DEFAULT_MAX_N);
    private static final int MAX_SAMPLES = 100_000;
    /** Keeps the JIT from dropping the work. */
    private static long sink;

    /** Warms up for {@code warmup}, then times calls for about {@code sampling} (each kind); medians. */
    static ComputeTime measure(int n, Duration warmup, Duration sampling) {
        String request = Integer.toString(n);
        long warmupEnd = System.nanoTime() + warmup.toNanos();
        while (System.nanoTime() - warmupEnd < 0) {
            sink += FIBONACCI.of(n).bitLength() + FIBONACCI.of(ARGUMENT.parse(request)).toString().length();
        }
        long[] of = sample(sampling, () -> sink += FIBONACCI.of(n).bitLength());
        long[] reply = sample(sampling, () -> sink += FIBONACCI.of(ARGUMENT.parse(request)).toString().length());
        return new ComputeTime(n, Stats.medianNanos(of) / 1e6, Stats.medianNanos(reply) / 1e6);
    }

    private static long[] sample(Duration sampling, Runnable work) {
        long[] nanos = new long[MAX_SAMPLES];
        int count = 0;
        long end = System.nanoTime() + sampling.toNanos();
        while (count < MAX_SAMPLES && (count < 5 || System.nanoTime() - end < 0)) {
            long started = System.nanoTime();
            work.run();
            nanos[count++] = System.nanoTime() - started;
        }
        return Arrays.copyOf(nanos, count);
    }
}
