package io.fibonaccirpc.server;

import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.wire.Argument;
import io.micrometer.core.instrument.Timer;

/** A server's computation, timed: the server route's {@code compute-fibonacci} step. */
public final class TimedFibonacci {

    private final Argument argument;
    private final Fibonacci fibonacci;
    private final Timer computeDuration;

    public TimedFibonacci(Argument argument, Fibonacci fibonacci, Timer computeDuration) {
        this.argument = argument;
        this.fibonacci = fibonacci;
        this.computeDuration = computeDuration;
    }

    /**
     * fib(n) as decimal text, for the request body n; only computations that succeed are timed.
     *
     * @throws RpcException INVALID_ARGUMENT or OUT_OF_RANGE when the body is not an n the server takes
     */
    public String reply(String request) {
        int n = argument.parse(request);
        long started = System.nanoTime();
        String reply = fibonacci.of(n).toString();
        computeDuration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        return reply;
    }
}
