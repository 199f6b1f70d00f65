package io.fibonaccirpc.server;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.fibonaccirpc.observe.ExchangePolicy;
import io.fibonaccirpc.observe.Meters;
import io.fibonaccirpc.wire.RpcError;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Route;

/**
 * A server's meters (docs/operations.md, "Metrics"), made once at start, one per outcome, so that recording a
 * request is an array access and an increment. A route policy of the server route ({@code routePolicy:
 * serverMetrics}): each request counted and timed by its outcome, from the admission verdict and the error reply.
 */
public final class ServerMetrics implements ExchangePolicy {

    private static final String STARTED = ServerMetrics.class.getName() + ".started";
    /** Histogram buckets of a server's work: fib(30) takes microseconds, fib(100000) milliseconds. */
    private static final Duration[] SERVER_BUCKETS = Meters.millis(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50,
            100, 250, 1000);

    /** What became of a request a server took from the queue. */
    public enum RequestOutcome {
        /** Computed and answered with the value. */
        OK,
        /** Answered with an error reply: INVALID_ARGUMENT or OUT_OF_RANGE. */
        INVALID,
        /** Answered with an error reply: INTERNAL, the server failed. */
        ERROR,
        /** Dropped uncomputed: its caller's deadline had passed. */
        EXPIRED,
        /** Not computed, dead-lettered: no reply_to, or one that is not a reply address. */
        REFUSED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LongAdder[] requests = new LongAdder[RequestOutcome.values().length];
    private final Timer[] requestDurations = new Timer[RequestOutcome.values().length];
    private final Timer computeDuration;
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder deadLetters = new LongAdder();

    /** @param expired the count of requests dropped because their caller's deadline had passed */
    public ServerMetrics(MeterRegistry registry, LongAdder expired) {
        for (RequestOutcome outcome : RequestOutcome.values()) {
            LongAdder count = outcome == RequestOutcome.EXPIRED ? expired : new LongAdder();
            requests[outcome.ordinal()] = count;
            FunctionCounter.builder(Meters.PREFIX + "server.requests", count, LongAdder::sum)
                    .description("Requests a server took from the request queue, by outcome")
                    .tag(Meters.OUTCOME, outcome.label()).register(registry);
            requestDurations[outcome.ordinal()] = Timer.builder(Meters.PREFIX + "server.request.duration")
                    .description("How long a server took to handle a request, from taking it to its reply")
                    .tag(Meters.OUTCOME, outcome.label()).serviceLevelObjectives(SERVER_BUCKETS).register(registry);
        }
        computeDuration = Timer.builder(Meters.PREFIX + "server.compute.duration")
                .description("How long a server took to compute fib(n) and its decimal text")
                .serviceLevelObjectives(SERVER_BUCKETS).register(registry);
        Gauge.builder(Meters.PREFIX + "server.requests.in.flight", inFlight, LongAdder::sum)
                .description("Requests a server is handling").register(registry);
        FunctionCounter.builder(Meters.PREFIX + "server.dead.letters", deadLetters, LongAdder::sum)
                .description("Refused requests a server recorded in the dead-letter queue").register(registry);
    }

    /** The timer of {@link TimedFibonacci}. */
    public Timer computeDuration() {
        return computeDuration;
    }

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        exchange.setProperty(STARTED, System.nanoTime());
        inFlight.increment();
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        inFlight.decrement();
        Object started = exchange.getProperty(STARTED);
        RequestOutcome outcome = outcome(exchange);
        requests[outcome.ordinal()].increment();
        if (started instanceof Long nanos) {
            requestDurations[outcome.ordinal()].record(System.nanoTime() - nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static RequestOutcome outcome(Exchange exchange) {
        String verdict = exchange.getVariable(RequestAdmission.VERDICT, String.class);
        if (verdict == null || exchange.isFailed()) {
            return RequestOutcome.ERROR;
        }
        if (verdict.equals(RequestAdmission.Verdict.EXPIRED.name())) {
            return RequestOutcome.EXPIRED;
        }
        if (!verdict.equals(RequestAdmission.Verdict.ADMIT.name())) {
            return RequestOutcome.REFUSED;
        }
        Object error = exchange.getMessage().getHeader(RpcError.HEADER);
        if (error == null) {
            return RequestOutcome.OK;
        }
        // the code as the error reply's header has it: an RpcError, or its name
        return RpcError.INTERNAL.name().equals(error.toString()) ? RequestOutcome.ERROR : RequestOutcome.INVALID;
    }

    /** Called by the server's dead-letter route once it recorded a refused request. */
    public void deadLettered() {
        deadLetters.increment();
    }
}
