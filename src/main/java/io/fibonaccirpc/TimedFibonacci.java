package io.fibonaccirpc;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Timer;

/** A server's computation, {@link Fibonacci#reply}, timed: the server route's {@code compute-fibonacci} step. */
public final class TimedFibonacci {

    private final Fibonacci fibonacci;
    private final Timer computeDuration;

    public TimedFibonacci(Fibonacci fibonacci, Timer computeDuration) {
        this.fibonacci = fibonacci;
        this.computeDuration = computeDuration;
    }

    /**
     * fib(n) as decimal text, for the request body n; only computations that succeed are timed.
     *
     * @throws RpcException as {@link Fibonacci#reply} does
     */
    public String reply(String request) {
        long started = System.nanoTime();
        String reply = fibonacci.reply(request);
        computeDuration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        return reply;
    }
}
