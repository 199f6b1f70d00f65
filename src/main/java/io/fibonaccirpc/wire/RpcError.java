package io.fibonaccirpc.wire;

/**
 * The stable error codes of the RPC. A server puts one in the {@value #HEADER} header of its reply, with a
 * body {@code -1 <CODE>: <message>} ({@link #replyBody}); any AMQP client in any language can read it.
 */
public enum RpcError {
    /** The request is not a decimal integer. Retrying it can never succeed. */
    INVALID_ARGUMENT,
    /** The request is a number outside 0..maximum. Retrying it can never succeed. */
    OUT_OF_RANGE,
    /** The server failed while computing. */
    INTERNAL,
    /** A reply came back that is neither a value nor an error reply. */
    BAD_REPLY;

    public static final String HEADER = "rpc-error";

    /**
     * What an error reply's body starts with: {@code -1}, which no Fibonacci number is, so that a client that ignores
     * the header and reads the body leniently as a number (Ruby's {@code to_i}, PHP's {@code intval}, JavaScript's
     * {@code parseInt}: 0 for a text) gets an impossible value rather than a plausible one; then the code.
     */
    private static final String BODY_PREFIX = "-1 ";

    /** The body of an error reply of this code: {@code -1 <CODE>: <message>}. */
    public String replyBody(String message) {
        return BODY_PREFIX + name() + ": " + message;
    }

    /** The message of an error reply's body: without the {@code -1 <CODE>: } it starts with, if it does. */
    public static String messageOf(String code, String body) {
        String prefix = BODY_PREFIX + code + ": ";
        return body.startsWith(prefix) ? body.substring(prefix.length()) : body;
    }

    /** The code named in a reply; an unknown code counts as {@link #INTERNAL}. */
    public static RpcError fromCode(String code) {
        for (RpcError error : values()) {
            if (error.name().equals(code)) {
                return error;
            }
        }
        return INTERNAL;
    }
}
