package io.fibonaccirpc;

import java.math.BigInteger;

/**
 * Exact Fibonacci numbers by fast doubling, bounded by a configured maximum n.
 * <p>
 * fib(2k) = fib(k) * (2 * fib(k+1) - fib(k)) and fib(2k+1) = fib(k)^2 + fib(k+1)^2, so fib(n) takes
 * O(log n) big-integer multiplications instead of the tutorial's exponential recursion. Plain Java:
 * it knows nothing of Camel or AMQP.
 */
public final class Fibonacci {

    /** The characters of a bad argument an error message quotes. */
    private static final int QUOTED_INPUT = 32;

    public static final int DEFAULT_MAX_N = 100_000;

    /** Longer than any int: such an argument is out of range whatever it says. */
    private static final int MAX_DIGITS = 10;

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
     * Reads n from its decimal text: digits with an optional minus sign, surrounding white space allowed.
     *
     * @throws RpcException INVALID_ARGUMENT when the text is not a decimal integer, OUT_OF_RANGE when it is one
     *                      outside 0..maxN
     */
    public int argument(String text) {
        if (text == null) {
            throw new RpcException(RpcError.INVALID_ARGUMENT, "n is missing: expected a decimal integer");
        }
        String trimmed = text.strip();
        boolean negative = trimmed.startsWith("-");
        String digits = negative ? trimmed.substring(1) : trimmed;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new RpcException(RpcError.INVALID_ARGUMENT,
                    "n must be a decimal integer from 0 to " + maxN + ", was " + abbreviate(trimmed));
        }
        int leadingZeros = 0;
        while (leadingZeros < digits.length() - 1 && digits.charAt(leadingZeros) == '0') {
            leadingZeros++;
        }
        String significant = digits.substring(leadingZeros);
        if (negative || significant.length() > MAX_DIGITS || Long.parseLong(significant) > maxN) {
            throw outOfRange(abbreviate(trimmed));
        }
        return Integer.parseInt(significant);
    }

    /**
     * fib(n), exact.
     *
     * @throws RpcException OUT_OF_RANGE when n is outside 0..maxN
     */
    public BigInteger of(int n) {
        if (n < 0 || n > maxN) {
            throw outOfRange(Integer.toString(n));
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

    /** The reply to a request body: fib(n) as decimal text. */
    public String reply(String request) {
        return of(argument(request)).toString();
    }

    private RpcException outOfRange(String n) {
        return new RpcException(RpcError.OUT_OF_RANGE, "n must be from 0 to " + maxN + ", was " + n);
    }

    private static String abbreviate(String text) {
        return InputText.quote(text, QUOTED_INPUT);
    }
}
