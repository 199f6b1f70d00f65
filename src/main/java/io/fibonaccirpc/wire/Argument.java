package io.fibonaccirpc.wire;

/**
 * The argument of a call as the wire carries it: n as decimal text, from 0 to a maximum. Read once on each side:
 * by the gateway before it publishes (a bad n is a 400), by the server before it computes (an error reply).
 */
public final class Argument {

    /** The characters of a bad argument an error message quotes. */
    private static final int QUOTED_INPUT = 32;
    /** Longer than any int: such an argument is out of range whatever it says. */
    private static final int MAX_DIGITS = 10;

    private final int maxN;

    public Argument(int maxN) {
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
    public int parse(String text) {
        if (text == null) {
            throw new RpcException(RpcError.INVALID_ARGUMENT, "n is missing: expected a decimal integer");
        }
        String trimmed = text.strip();
        boolean negative = trimmed.startsWith("-");
        String digits = negative ? trimmed.substring(1) : trimmed;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new RpcException(RpcError.INVALID_ARGUMENT,
                    "n must be a decimal integer from 0 to " + maxN + ", was " + quote(trimmed));
        }
        int leadingZeros = 0;
        while (leadingZeros < digits.length() - 1 && digits.charAt(leadingZeros) == '0') {
            leadingZeros++;
        }
        String significant = digits.substring(leadingZeros);
        if (negative || significant.length() > MAX_DIGITS || Long.parseLong(significant) > maxN) {
            throw new RpcException(RpcError.OUT_OF_RANGE, "n must be from 0 to " + maxN + ", was " + quote(trimmed));
        }
        return Integer.parseInt(significant);
    }

    private static String quote(String text) {
        return InputText.quote(text, QUOTED_INPUT);
    }
}
