package io.fibonaccirpc;

import java.util.concurrent.RejectedExecutionException;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpMessageReturnedException;
import org.springframework.amqp.core.AmqpReplyTimeoutException;

/** Maps a failed call to the HTTP problem its caller gets. */
public final class Problems {

    private static final int RETRY_AFTER_SOON = 1;
    private static final int RETRY_AFTER_UNAVAILABLE = 5;

    private final long replyTimeoutMillis;

    public Problems(long replyTimeoutMillis) {
        this.replyTimeoutMillis = replyTimeoutMillis;
    }

    public Problem of(Throwable failure, String correlationId) {
        if (failure instanceof RpcException rpc) {
            return ofRpc(rpc, correlationId);
        }
        if (failure instanceof RpcUnavailableException unavailable) {
            return unavailable(unavailable.getReason(), unavailable.getMessage(), correlationId);
        }
        if (failure instanceof RejectedExecutionException) {
            return unavailable(RpcUnavailableException.Reason.OVERLOADED,
                    "the gateway has as many calls in flight as it allows; retry shortly", null);
        }
        if (failure instanceof AmqpMessageReturnedException returned) {
            return unavailable(RpcUnavailableException.Reason.NO_QUEUE,
                    "the broker routed the request to no queue (" + returned.getReplyText() + ")", correlationId);
        }
        if (failure instanceof AmqpReplyTimeoutException) {
            return problem(Problem.typeOf("reply-timeout"), "No reply from a server in time", 504,
                    "no server replied within " + replyTimeoutMillis + " ms", correlationId, null);
        }
        if (failure instanceof AmqpException) {
            return unavailable(RpcUnavailableException.Reason.BROKER_UNAVAILABLE,
                    "the call could not be made: " + rootMessage(failure), correlationId);
        }
        return internal(failure, correlationId);
    }

    /** The 500 of a failure of the gateway itself. */
    static Problem internal(Throwable failure, String correlationId) {
        return problem(Problem.typeOf("internal"), "The gateway failed", 500,
                "the gateway failed to handle the call (" + failure.getClass().getSimpleName() + ")", correlationId,
                null);
    }

    private Problem ofRpc(RpcException rpc, String correlationId) {
        RpcError error = rpc.getError();
        if (!rpc.isRemote() && (error == RpcError.INVALID_ARGUMENT || error == RpcError.OUT_OF_RANGE)) {
            return problem(Problem.typeOf(error), "Invalid n", 400, rpc.getMessage(), null, null);
        }
        return switch (error) {
            case INVALID_ARGUMENT -> problem(Problem.typeOf(error), "The server refused n", 400, rpc.getMessage(), correlationId,
                    null);
            case OUT_OF_RANGE -> problem(Problem.typeOf(error), "n is beyond the server's range", 422, rpc.getMessage(),
                    correlationId, null);
            case BAD_REPLY -> problem(Problem.typeOf(error), "The server sent a reply that is not a value", 502,
                    rpc.getMessage(), correlationId, null);
            case INTERNAL -> problem(Problem.typeOf(error), "The server failed", 502, rpc.getMessage(), correlationId, null);
        };
    }

    /** The 503 of a call that cannot be made now; soon again when the gateway is overloaded or stopping. */
    static Problem unavailable(RpcUnavailableException.Reason reason, String detail, String correlationId) {
        int retryAfter = reason == RpcUnavailableException.Reason.OVERLOADED
                || reason == RpcUnavailableException.Reason.STOPPING ? RETRY_AFTER_SOON : RETRY_AFTER_UNAVAILABLE;
        return problem(Problem.typeOf(reason), reason.title(), 503, detail, correlationId, retryAfter);
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private static Problem problem(String type, String title, int status, String detail, String correlationId,
            Integer retryAfter) {
        return new Problem(type, title, status, detail, correlationId, retryAfter);
    }
}
