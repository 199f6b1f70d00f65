package io.fibonaccirpc.gateway;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.fibonaccirpc.observe.ExchangePolicy;
import io.fibonaccirpc.observe.Meters;
import io.fibonaccirpc.wire.CallProblem;
import io.fibonaccirpc.wire.Problem;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Route;

/**
 * A gateway's meters (docs/operations.md, "Metrics"), made once at start, one per outcome, so that recording a call
 * is an array access and an increment. A route policy of the gateway's call route ({@code routePolicy:
 * gatewayMetrics}) marks the calls it counts and their start; each is recorded as its HTTP response is written
 * ({@link #responded}), by its status and the problem answered ({@link Problems#VARIABLE}).
 */
public final class GatewayMetrics implements ExchangePolicy {

    private static final String STARTED = GatewayMetrics.class.getName() + ".started";
    /** Histogram buckets of a gateway's calls: from a fast round trip to beyond the default reply timeout. */
    private static final Duration[] CALL_BUCKETS = Meters.millis(0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000,
            2500, 5000, 10_000, 30_000);

    /** What the caller of a gateway got. */
    public enum CallOutcome {
        /** 200 with the value. */
        OK,
        /** 400 or 422: n is not a number, or beyond the gateway's or the server's range. */
        INVALID,
        /** 401: the listener's authentication is on and the caller gave no good credentials (no route ran). */
        UNAUTHORIZED,
        /** 429: the caller already had as many calls in flight as one caller may have (nothing was published). */
        THROTTLED,
        /** 503: the request queue does not exist, or no server consumes it. */
        NO_SERVER,
        /** 503: the gateway already had its maximum of calls in flight. */
        OVERLOAD,
        /** 504: no reply within the reply timeout. */
        TIMEOUT,
        /** 502: a server failed, or replied with something that is not a value. */
        SERVER_ERROR,
        /** 503: the broker is unreachable, blocks publishing, or the connection closed while the call waited. */
        UNAVAILABLE,
        /** Anything else: the gateway failed (500). */
        ERROR;

        /** The label value: {@code no_server}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The outcome of a catalogued problem. */
        public static CallOutcome of(CallProblem problem) {
            return valueOf(problem.outcome().toUpperCase(Locale.ROOT));
        }

        /**
         * The outcome of an answer with this status, and the problem answered when it is an error: its entry's in
         * the catalogue ({@link CallProblem}); without one (an answer the route did not make), by its status alone.
         */
        public static CallOutcome of(int status, Problem problem) {
            if (status < 300) {
                return OK;
            }
            CallProblem known = problem == null ? null : CallProblem.of(status, problem.type());
            if (known != null) {
                return of(known);
            }
            return switch (status) {
                case 400, 422 -> INVALID;
                case 401 -> UNAUTHORIZED;
                case 429 -> THROTTLED;
                case 502 -> SERVER_ERROR;
                case 503 -> UNAVAILABLE;
                case 504 -> TIMEOUT;
                default -> ERROR;
            };
        }
    }

    private final LongAdder[] calls = new LongAdder[CallOutcome.values().length];
    private final Timer[] callDurations = new Timer[CallOutcome.values().length];
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();
    private final boolean recordWhenDone;

    /**
     * @param lateReplies    the replies dropped because their caller had been answered (the call template counts them)
     * @param recordWhenDone record each call as its exchange is done, by its response code, when nothing tells
     *                       {@link #responded} (Camel's own HTTP consumer, {@code rpc.tuning=false})
     */
    public GatewayMetrics(MeterRegistry registry, LongAdder lateReplies, boolean recordWhenDone) {
        this.recordWhenDone = recordWhenDone;
        for (CallOutcome outcome : CallOutcome.values()) {
            LongAdder count = new LongAdder();
            calls[outcome.ordinal()] = count;
            FunctionCounter.builder(Meters.PREFIX + "gateway.calls", count, LongAdder::sum)
                    .description("HTTP calls a gateway answered, by outcome")
                    .tag(Meters.OUTCOME, outcome.label()).register(registry);
            callDurations[outcome.ordinal()] = Timer.builder(Meters.PREFIX + "gateway.call.duration")
                    .description("How long a gateway took to answer an HTTP call, from its request to its response")
                    .tag(Meters.OUTCOME, outcome.label()).serviceLevelObjectives(CALL_BUCKETS).register(registry);
        }
        Gauge.builder(Meters.PREFIX + "gateway.calls.in.flight", inFlight, LongAdder::sum)
                .description("HTTP calls a gateway has taken and not yet answered").register(registry);
        FunctionCounter.builder(Meters.PREFIX + "gateway.late.replies", lateReplies, LongAdder::sum)
                .description("Replies that reached a gateway after their caller had been answered, dropped")
                .register(registry);
        FunctionCounter.builder(Meters.PREFIX + "gateway.dead.letters", deadLetters, LongAdder::sum)
                .description("Failed calls a gateway recorded in the dead-letter queue").register(registry);
    }

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        exchange.setProperty(STARTED, Boolean.TRUE);
        inFlight.increment();
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        inFlight.decrement();
        if (recordWhenDone) {
            Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            responded(exchange, status != null ? status : exchange.isFailed() ? 500 : 200,
                    TimeUnit.MILLISECONDS.toNanos(exchange.getClock().elapsed()));
        }
    }

    /**
     * An HTTP response written, {@code nanos} after its request came: counted when its exchange went through a
     * route of this policy.
     */
    public void responded(Exchange exchange, int status, long nanos) {
        if (exchange.getProperty(STARTED) == null) {
            return;
        }
        CallOutcome outcome = status < 300 ? CallOutcome.OK
                : CallOutcome.of(status, exchange.getVariable(Problems.VARIABLE, Problem.class));
        calls[outcome.ordinal()].increment();
        callDurations[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A call the HTTP listener refused before any route ran (its authentication): counted by its outcome, not timed,
     * since nothing saw its request come.
     */
    public void refused(CallProblem problem) {
        calls[CallOutcome.of(problem).ordinal()].increment();
    }

    /** Called by the gateway's dead-letter route once it recorded a failed call. */
    public void deadLettered() {
        deadLetters.increment();
    }
}
