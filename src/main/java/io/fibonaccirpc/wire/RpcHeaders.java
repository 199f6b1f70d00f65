package io.fibonaccirpc.wire;

/** The AMQP headers of the RPC beyond the tutorial's properties; clients and servers that ignore them still work. */
public final class RpcHeaders {

    /** A request's deadline, epoch milliseconds as decimal text: a server drops the request uncomputed after it. */
    public static final String DEADLINE = "rpc-deadline";
    /** An error reply's stable code ({@link RpcError}). */
    public static final String ERROR = RpcError.HEADER;
    /** The W3C trace context of the caller's span ({@link TraceContext}). */
    public static final String TRACEPARENT = TraceContext.TRACEPARENT;

    private RpcHeaders() {
    }
}
