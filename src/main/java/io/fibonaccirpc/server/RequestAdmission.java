package io.fibonaccirpc.server;

import java.time.Clock;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcHeaders;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;

/**
 * Decides, before a server computes, whether a request should be: it needs a {@code reply_to} that is a reply
 * address (so no publisher can make the server write into another queue): one of the pattern, or a caller's
 * private reply queue; and a caller still waiting for it.
 * As a {@link Processor} (the server route's {@code admit-request} step, {@code ref: requestAdmission}) it keeps
 * what the route needs once the request's headers are dropped, the exchange variables
 * {@value CallLogging#CORRELATION_ID}, {@value #REPLY_TO} and {@value #VERDICT} (the verdict's name), and throws
 * {@link RequestRefused} or {@link RequestExpired} for a request not to compute, which the server route's
 * configuration handles.
 */
public final class RequestAdmission implements Processor {

    /** The variable that holds the request's reply_to. */
    public static final String REPLY_TO = "replyTo";
    /** The variable that holds the verdict's name. */
    public static final String VERDICT = "verdict";

    /** What to do with a request. */
    public enum Verdict {
        /** Compute and reply. */
        ADMIT,
        /** No reply_to: nobody to answer; dead-letter it. */
        NO_REPLY_TO,
        /** A reply_to that is not a reply address; dead-letter it, write nothing there. */
        FORBIDDEN_REPLY_TO,
        /** Its caller's deadline has passed: drop it uncomputed. */
        EXPIRED;

        /** The problem type a refused request is dead-lettered with: {@code ...:problem:no-reply-to}. */
        public String problemType() {
            return Problem.typeOf(this);
        }
    }

    private final Pattern replyTo;
    private final Predicate<String> privateReplyQueue;
    private final Clock clock;

    /** Answers only the reply addresses of the pattern. */
    public RequestAdmission(String replyToPattern) {
        this(replyToPattern, queue -> false);
    }

    /**
     * @param privateReplyQueue whether a reply_to outside the pattern is a caller's private reply queue, to be
     *                          answered too (PrivateReplyQueues)
     */
    public RequestAdmission(String replyToPattern, Predicate<String> privateReplyQueue) {
        this(replyToPattern, privateReplyQueue, Clock.systemUTC());
    }

    RequestAdmission(String replyToPattern, Predicate<String> privateReplyQueue, Clock clock) {
        this.replyTo = Pattern.compile(replyToPattern);
        this.privateReplyQueue = privateReplyQueue;
        this.clock = clock;
    }

    /**
     * @throws RequestExpired when the caller's deadline has passed
     * @throws RequestRefused when the request has no reply_to, or one that is not a reply address
     */
    @Override
    public void process(Exchange exchange) {
        Message request = exchange.getMessage();
        String replyTo = request.getHeader(SpringRabbitMQConstants.REPLY_TO, String.class);
        exchange.setVariable(CallLogging.CORRELATION_ID, request.getHeader(SpringRabbitMQConstants.CORRELATION_ID, String.class));
        exchange.setVariable(REPLY_TO, replyTo);
        Verdict verdict = verdict(replyTo, request.getHeader(RpcHeaders.DEADLINE));
        exchange.setVariable(VERDICT, verdict.name());
        switch (verdict) {
            case ADMIT -> {
            }
            case EXPIRED -> throw new RequestExpired(replyTo);
            default -> throw new RequestRefused(verdict, replyTo);
        }
    }

    /** The problem type a request refused with the verdict of this name is dead-lettered with. */
    public String problemType(String verdict) {
        return Verdict.valueOf(verdict).problemType();
    }

    /**
     * @param replyTo  the request's reply_to property
     * @param deadline the request's {@value RpcHeaders#DEADLINE} header (epoch milliseconds), or null
     */
    public Verdict verdict(String replyTo, Object deadline) {
        if (replyTo == null || replyTo.isBlank()) {
            return Verdict.NO_REPLY_TO;
        }
        if (!this.replyTo.matcher(replyTo).matches() && !privateReplyQueue.test(replyTo)) {
            return Verdict.FORBIDDEN_REPLY_TO;
        }
        Long deadlineMillis = millis(deadline);
        if (deadlineMillis != null && deadlineMillis < clock.millis()) {
            return Verdict.EXPIRED;
        }
        return Verdict.ADMIT;
    }

    private static Long millis(Object deadline) {
        if (deadline instanceof Number number) {
            return number.longValue();
        }
        if (deadline != null) {
            try {
                return Long.parseLong(deadline.toString().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
