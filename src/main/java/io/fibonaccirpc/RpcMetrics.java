package io.fibonaccirpc;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.spi.InflightRepository;

/**
 * The RPC's metrics, named {@code fibonacci_rpc_...} in Prometheus' text format (README, "Metrics"). Every meter is
 * made once, at start, one per outcome where a meter has an outcome label, so that recording a call is an array
 * access and an increment: no look-up by name or tag, nothing allocated. They are recorded where the application
 * already is:
 * <ul>
 * <li>a gateway's HTTP calls, as {@link AsyncHttpConsumer} writes their responses (a {@link
 * AsyncHttpConsumer.ResponseListener}): the outcome from the status and the problem answered;</li>
 * <li>a server's requests, as a route policy of the server route ({@code routePolicy: rpcMetrics}): the outcome from
 * the admission verdict and the error reply;</li>
 * <li>the computation, by {@link TimedFibonacci}; dead-letter records, by the dead-letter routes;</li>
 * <li>calls in flight, late replies and expired requests are read when scraped, from Camel's in-flight repository
 * and {@link RpcCounters}.</li>
 * </ul>
 */
public final class RpcMetrics implements ExchangePolicy, AsyncHttpConsumer.ResponseListener {

    /** The gateway's HTTP route, whose calls are counted. */
    public static final String HTTP_ROUTE = "fibonacci-http";
    /** The server route, whose requests are counted. */
    public static final String SERVER_ROUTE = "fibonacci-server";

    private static final String PREFIX = "fibonacci.rpc.";
    private static final String OUTCOME = "outcome";
    private static final String STARTED = RpcMetrics.class.getName() + ".started";
    /** Histogram buckets of a gateway's calls: from a fast round trip to beyond the default reply timeout. */
    private static final Duration[] CALL_BUCKETS = millis(0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
            10_000, 30_000);
    /** Histogram buckets of a server's work: fib(30) takes microseconds, fib(100000) milliseconds. */
    private static final Duration[] SERVER_BUCKETS = millis(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250,
            1000);

    /** What the caller of a gateway got. */
    public enum CallOutcome {
        /** 200 with the value. */
        OK,
        /** 400 or 422: n is not a number, or beyond the gateway's or the server's range. */
        INVALID,
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

        /** The outcome of an answer with this status, and the problem answered when it is an error. */
        public static CallOutcome of(int status, Problem problem) {
            if (status < 300) {
                return OK;
            }
            String type = problem == null ? "" : problem.type();
            return switch (status) {
                case 400, 422 -> INVALID;
                case 502 -> SERVER_ERROR;
                case 504 -> TIMEOUT;
                case 503 -> type.equals(Problem.typeOf(RpcUnavailableException.Reason.NO_SERVER))
                        || type.equals(Problem.typeOf(RpcUnavailableException.Reason.NO_QUEUE)) ? NO_SERVER
                        : type.equals(Problem.typeOf(RpcUnavailableException.Reason.OVERLOADED)) ? OVERLOAD
                        : UNAVAILABLE;
                default -> ERROR;
            };
        }
    }

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

    private final LongAdder[] calls = new LongAdder[CallOutcome.values().length];
    private final Timer[] callDurations = new Timer[CallOutcome.values().length];
    private final LongAdder[] requests = new LongAdder[RequestOutcome.values().length];
    private final Timer[] requestDurations = new Timer[RequestOutcome.values().length];
    private final Timer computeDuration;
    private final LongAdder gatewayDeadLetters = new LongAdder();
    private final LongAdder serverDeadLetters = new LongAdder();

    public RpcMetrics(MeterRegistry registry, RpcCounters counters, InflightRepository inflight) {
        for (CallOutcome outcome : CallOutcome.values()) {
            LongAdder count = new LongAdder();
            calls[outcome.ordinal()] = count;
            FunctionCounter.builder(PREFIX + "gateway.calls", count, LongAdder::sum)
                    .description("HTTP calls a gateway answered, by outcome")
                    .tag(OUTCOME, outcome.label()).register(registry);
            callDurations[outcome.ordinal()] = Timer.builder(PREFIX + "gateway.call.duration")
                    .description("How long a gateway took to answer an HTTP call, from its request to its response")
                    .tag(OUTCOME, outcome.label()).serviceLevelObjectives(CALL_BUCKETS).register(registry);
        }
        for (RequestOutcome outcome : RequestOutcome.values()) {
            LongAdder count = outcome == RequestOutcome.EXPIRED ? counters.expiredRequests() : new LongAdder();
            requests[outcome.ordinal()] = count;
            FunctionCounter.builder(PREFIX + "server.requests", count, LongAdder::sum)
                    .description("Requests a server took from the request queue, by outcome")
                    .tag(OUTCOME, outcome.label()).register(registry);
            requestDurations[outcome.ordinal()] = Timer.builder(PREFIX + "server.request.duration")
                    .description("How long a server took to handle a request, from taking it to its reply")
                    .tag(OUTCOME, outcome.label()).serviceLevelObjectives(SERVER_BUCKETS).register(registry);
        }
        computeDuration = Timer.builder(PREFIX + "server.compute.duration")
                .description("How long a server took to compute fib(n) and its decimal text")
                .serviceLevelObjectives(SERVER_BUCKETS).register(registry);
        Gauge.builder(PREFIX + "gateway.calls.in.flight", inflight, repository -> repository.size(HTTP_ROUTE))
                .description("HTTP calls a gateway has taken and not yet answered").register(registry);
        Gauge.builder(PREFIX + "server.requests.in.flight", inflight, repository -> repository.size(SERVER_ROUTE))
                .description("Requests a server is handling").register(registry);
        FunctionCounter.builder(PREFIX + "gateway.late.replies", counters.lateReplies(), LongAdder::sum)
                .description("Replies that reached a gateway after their caller had been answered, dropped")
                .register(registry);
        FunctionCounter.builder(PREFIX + "gateway.dead.letters", gatewayDeadLetters, LongAdder::sum)
                .description("Failed calls a gateway recorded in the dead-letter queue").register(registry);
        FunctionCounter.builder(PREFIX + "server.dead.letters", serverDeadLetters, LongAdder::sum)
                .description("Refused requests a server recorded in the dead-letter queue").register(registry);
    }

    /** The timer of {@link TimedFibonacci}. */
    public Timer computeDuration() {
        return computeDuration;
    }

    @Override
    public void responded(Exchange exchange, int status, long nanos) {
        if (!HTTP_ROUTE.equals(exchange.getFromRouteId())) {
            return;
        }
        CallOutcome outcome = status < 300 ? CallOutcome.OK
                : CallOutcome.of(status, exchange.getVariable("problem", Problem.class));
        calls[outcome.ordinal()].increment();
        callDurations[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        exchange.setProperty(STARTED, System.nanoTime());
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        Object started = exchange.getProperty(STARTED);
        RequestOutcome outcome = requestOutcome(exchange);
        requests[outcome.ordinal()].increment();
        if (started instanceof Long nanos) {
            requestDurations[outcome.ordinal()].record(System.nanoTime() - nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static RequestOutcome requestOutcome(Exchange exchange) {
        String verdict = exchange.getVariable(RequestAdmission.VERDICT, String.class);
        if (verdict == null || exchange.isFailed()) {
            return RequestOutcome.ERROR;
        }
        if (verdict.equals("EXPIRED")) {
            return RequestOutcome.EXPIRED;
        }
        if (!verdict.equals("ADMIT")) {
            return RequestOutcome.REFUSED;
        }
        Object error = exchange.getMessage().getHeader(RpcError.HEADER);
        if (error == null) {
            return RequestOutcome.OK;
        }
        // the code as the error reply's header has it: an RpcError, or its name
        return RpcError.INTERNAL.name().equals(error.toString()) ? RequestOutcome.ERROR : RequestOutcome.INVALID;
    }

    /** Called by the gateway's dead-letter route once it recorded a failed call. */
    public void gatewayDeadLettered() {
        gatewayDeadLetters.increment();
    }

    /** Called by the server's dead-letter route once it recorded a refused request. */
    public void serverDeadLettered() {
        serverDeadLetters.increment();
    }

    private static Duration[] millis(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000));
        }
        return durations;
    }
}
