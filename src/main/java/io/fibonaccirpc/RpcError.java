package io.fibonaccirpc;

/**
 * The stable error codes of the RPC. A server puts one in the {@value #HEADER} header of its reply, with a
 * text message as the body; any AMQP client in any language can read it.
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
