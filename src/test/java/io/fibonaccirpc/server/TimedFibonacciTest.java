package io.fibonaccirpc.server;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.wire.Argument;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A server's computation: the request body in, fib(n) as decimal text out, the successful ones timed. */
class TimedFibonacciTest {

    private final Timer timer = new SimpleMeterRegistry().timer("compute");
    private final TimedFibonacci fibonacci = new TimedFibonacci(new Argument(100_000), new Fibonacci(100_000), timer);

    @Test
    void replies_with_decimal_text() {
        assertEquals("832040", fibonacci.reply("30"));
        assertEquals(1, timer.count());
    }

    @Test
    void a_request_that_is_not_an_n_it_takes_is_refused_with_its_code_and_not_timed() {
        assertEquals(RpcError.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> fibonacci.reply("abc")).getError());
        assertEquals(RpcError.OUT_OF_RANGE, assertThrows(RpcException.class, () -> fibonacci.reply("100001")).getError());
        assertEquals(0, timer.count());
    }
}
