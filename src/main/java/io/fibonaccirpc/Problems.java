package io.fibonaccirpc;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpReplyTimeoutException;

/** Maps a failed call to the HTTP problem its caller gets. */
public final class Problems {

    private static final String TYPE_PREFIX = "urn:fibonacci-rpc:problem:";

    private final long replyTimeoutMillis;

    public Problems(long replyTimeoutMillis) {
        this.replyTimeoutMillis = replyTimeoutMillis;
    }

    public Problem of(Throwable failure, String correlationId) {
        if (failure instanceof RpcException rpc) {
            return ofRpc(rpc, correlationId);
        }
        if (failure instanceof AmqpReplyTimeoutException) {
            return problem("reply-timeout", "No reply from a server in time", 504,
                    "no server replied within " + replyTimeoutMillis + " ms", correlationId);
        }
        if (failure instanceof AmqpException) {
            return problem("broker-unavailable", "The message broker is unavailable", 503,
                    "the request could not be published: " + failure.getMessage(), correlationId);
        }
        return problem("internal", "The gateway failed", 500,
                "the gateway failed to handle the call (" + failure.getClass().getSimpleName() + ")", correlationId);
    }

    private Problem ofRpc(RpcException rpc, String correlationId) {
        RpcError error = rpc.getError();
        if (!rpc.isRemote() && (error == RpcError.INVALID_ARGUMENT || error == RpcError.OUT_OF_RANGE)) {
            return problem(slug(error), "Invalid n", 400, rpc.getMessage(), null);
        }
        return switch (error) {
            case INVALID_ARGUMENT -> problem(slug(error), "The server refused n", 400, rpc.getMessage(), correlationId);
            case OUT_OF_RANGE -> problem(slug(error), "n is beyond the server's range", 422, rpc.getMessage(),
                    correlationId);
            case BAD_REPLY -> problem(slug(error), "The server sent a reply that is not a value", 502,
                    rpc.getMessage(), correlationId);
            case INTERNAL -> problem(slug(error), "The server failed", 502, rpc.getMessage(), correlationId);
        };
    }

    private static String slug(RpcError error) {
        return error.name().toLowerCase().replace('_', '-');
    }

    private static Problem problem(String slug, String title, int status, String detail, String correlationId) {
        return new Problem(TYPE_PREFIX + slug, title, status, detail, correlationId);
    }
}
