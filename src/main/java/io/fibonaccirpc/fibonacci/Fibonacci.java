package io.fibonaccirpc.fibonacci;

import java.math.BigInteger;

/**
 * Exact Fibonacci numbers by fast doubling, bounded by a configured maximum n.
 * <p>
 * fib(2k) = fib(k) * (2 * fib(k+1) - fib(k)) and fib(2k+1) = fib(k)^2 + fib(k+1)^2, so fib(n) takes
 * O(log n) big-integer multiplications instead of the tutorial's exponential recursion. Plain Java:
 * it knows nothing of Camel, AMQP or the wire.
 */
public final class Fibonacci {

    public static final int DEFAULT_MAX_N = 100_000;

    private final int maxN;

    public Fibonacci(int maxN) {
        if (maxN < 0) {
            throw new IllegalArgumentException("the maximum n must not be negative, was " + maxN);
        }
        this.maxN = maxN;
    }

    public int maxN() {
        return maxN;
    }

    /**
     * fib(n), exact.
     *
     * @throws IllegalArgumentException when n is outside 0..maxN
     */
    public BigInteger of(int n) {
        if (n < 0 || n > maxN) {
            throw new IllegalArgumentException("n must be from 0 to " + maxN + ", was " + n);
        }
        BigInteger a = BigInteger.ZERO; // fib(k)
        BigInteger b = BigInteger.ONE; // fib(k+1)
        for (int bit = Integer.highestOneBit(Math.max(n, 1)); bit > 0; bit >>>= 1) {
            BigInteger even = a.multiply(b.shiftLeft(1).subtract(a)); // fib(2k)
            BigInteger odd = a.multiply(a).add(b.multiply(b)); // fib(2k+1)
            if ((n & bit) == 0) {
                a = even;
                b = odd;
            } else {
                a = odd;
                b = even.add(odd);
            }
        }
        return a;
    }
}
