package io.fibonaccirpc.gateway;

import java.util.concurrent.RejectedExecutionException;

import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.wire.CallProblem;
import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import io.fibonaccirpc.wire.RpcUnavailableException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.AmqpMessageReturnedException;
import org.springframework.amqp.core.AmqpReplyTimeoutException;

/**
 * Maps a failed call to the HTTP problem its caller gets. As the dead-letter route's step {@code process: ref:
 * problems} it keeps the problem of the exchange's failure in the variable {@value #VARIABLE}.
 */
public final class Problems implements Processor {

    /** The exchange variable the gateway's dead-letter route keeps a call's problem in, for the metrics. */
    public static final String VARIABLE = "problem";

    /** The exchange variable the gateway route sets once a call is within its caller's limit. */
    public static final String CALLER_ADMITTED = "callerAdmitted";

    private final long replyTimeoutMillis;
    private final int callerMaxInFlight;
    private final boolean callerLimitBelowGateways;

    /**
     * @param replyTimeoutMillis the reply timeout (rpc.reply-timeout)
     * @param callerMaxInFlight  the calls in flight one caller may have (rpc.caller.max-in-flight)
     * @param maxInFlight        the calls in flight the gateway has at most (rpc.max-in-flight)
     */
    public Problems(long replyTimeoutMillis, int callerMaxInFlight, int maxInFlight) {
        this.replyTimeoutMillis = replyTimeoutMillis;
        this.callerMaxInFlight = callerMaxInFlight;
        this.callerLimitBelowGateways = callerMaxInFlight < maxInFlight;
    }

    @Override
    public void process(Exchange exchange) {
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String caller = exchange.getVariable(Callers.VARIABLE, String.class);
        // the gateway route limits the calls in flight of the caller, then, once the caller is admitted, those of
        // all callers: a rejection before that is the caller's limit. A caller's limit no lower than the gateway's
        // (the default) is the gateway's: that caller has all its calls in flight, and gets what anyone else would
        Problem problem = failure instanceof RejectedExecutionException && caller != null
                && exchange.getVariable(CALLER_ADMITTED) == null && callerLimitBelowGateways
                ? callerLimited(caller)
                : of(failure, exchange.getVariable(CallLogging.CORRELATION_ID, String.class));
        exchange.setVariable(VARIABLE, problem);
        if (problem.status() == CallProblem.CALLER_LIMITED.status()
                && Boolean.TRUE.equals(exchange.getVariable(Callers.OWN_CONNECTION, Boolean.class))) {
            // the connection is the caller's alone: it is not read again before the caller may retry
            exchange.setVariable(Problem.HOLD_CONNECTION_MILLIS, problem.retryAfter() * 1000L);
        }
    }

    /** The problem of a call refused because its caller already has as many calls in flight as one may have. */
    public Problem callerLimited(String caller) {
        return CallProblem.CALLER_LIMITED.problem("the caller " + caller + " already has " + callerMaxInFlight
                + " calls in flight, the most one caller may have (rpc.caller.max-in-flight); retry when one is"
                + " answered", null);
    }

    public Problem of(Throwable failure, String correlationId) {
        if (failure instanceof RpcException rpc) {
            return ofRpc(rpc, correlationId);
        }
        if (failure instanceof RpcUnavailableException unavailable) {
            return Problem.unavailable(unavailable.getReason(), unavailable.getMessage(), correlationId);
        }
        if (failure instanceof RejectedExecutionException) {
            return Problem.unavailable(RpcUnavailableException.Reason.OVERLOADED,
                    "the gateway has as many calls in flight as it allows; retry shortly", null);
        }
        if (failure instanceof AmqpMessageReturnedException returned) {
            return Problem.unavailable(RpcUnavailableException.Reason.NO_QUEUE,
                    "the broker routed the request to no queue (" + returned.getReplyText() + ")", correlationId);
        }
        if (failure instanceof AmqpReplyTimeoutException) {
            return CallProblem.REPLY_TIMEOUT.problem("no server replied within " + replyTimeoutMillis + " ms",
                    correlationId);
        }
        if (failure instanceof AmqpException) {
            return Problem.unavailable(RpcUnavailableException.Reason.BROKER_UNAVAILABLE,
                    "the call could not be made: " + rootMessage(failure), correlationId);
        }
        return Problem.internal(failure, correlationId);
    }

    private Problem ofRpc(RpcException rpc, String correlationId) {
        RpcError error = rpc.getError();
        if (!rpc.isRemote() && (error == RpcError.INVALID_ARGUMENT || error == RpcError.OUT_OF_RANGE)) {
            // the gateway's own check of n: nothing was published
            CallProblem refused = error == RpcError.INVALID_ARGUMENT ? CallProblem.INVALID_N : CallProblem.N_OUT_OF_RANGE;
            return refused.problem(rpc.getMessage(), null);
        }
        CallProblem problem = switch (error) {
            case INVALID_ARGUMENT -> CallProblem.SERVER_REFUSED_N;
            case OUT_OF_RANGE -> CallProblem.BEYOND_SERVER_RANGE;
            case BAD_REPLY -> CallProblem.BAD_REPLY;
            case INTERNAL -> CallProblem.SERVER_FAILED;
        };
        return problem.problem(rpc.getMessage(), correlationId);
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
