package io.fibonaccirpc.wire;

/** A failed call with its {@link RpcError} code; {@code remote} when a server's error reply reported it. */
public class RpcException extends RuntimeException {

    private final RpcError error;
    private final boolean remote;

    public RpcException(RpcError error, String message) {
        this(error, message, false);
    }

    private RpcException(RpcError error, String message, boolean remote) {
        super(message);
        this.error = error;
        this.remote = remote;
    }

    /** The failure a server reported in an error reply. */
    public static RpcException fromReply(String code, String message) {
        return new RpcException(RpcError.fromCode(code), message, true);
    }

    /** The body of the error reply that tells a caller of this failure ({@link RpcError#replyBody}). */
    public String getReplyBody() {
        return error.replyBody(getMessage());
    }

    public RpcError getError() {
        return error;
    }

    public boolean isRemote() {
        return remote;
    }
}
