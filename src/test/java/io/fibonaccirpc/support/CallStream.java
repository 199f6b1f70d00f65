package io.fibonaccirpc.support;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * A bounded stream of {@code GET /fib/{n}} calls to a gateway while a test injects a fault: one call every
 * {@code interval}, at most {@code concurrency} in flight (a tick that finds them all busy sends nothing and
 * is counted as skipped), for at most {@code maxDuration}. Every call is recorded with its start, end,
 * status and body, and checked against fib(n) computed here; {@link Tally} counts what the callers saw.
 * <p>
 * n differs from one call to the next ({@code 3 + (7 * index) % 1000} unless given), and fib is strictly
 * increasing from n = 2, so a caller that got another caller's answer shows as a wrong answer.
 */
public final class CallStream implements AutoCloseable {

    /**
     * One call as its caller saw it. {@code status} is -1 and {@code failure} set when no HTTP answer came;
     * {@code retryAfter} is the answer's {@code Retry-After} header, null without one.
     */
    public record Call(int index, int n, long startNanos, long endNanos, int status, String contentType, String body,
                       String retryAfter, String failure) {

        public boolean answered() {
            return failure == null;
        }

        /** 200 with exactly fib(n). */
        public boolean right() {
            return status == 200 && fibonacci(n).equals(body);
        }

        /** 200 with something other than fib(n): someone else's answer, or garbage. */
        public boolean wrong() {
            return status == 200 && !fibonacci(n).equals(body);
        }

        public long millis() {
            return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
        }

        public boolean startedAfter(long nanos) {
            return startNanos - nanos >= 0;
        }

        public boolean endedBefore(long nanos) {
            return nanos - endNanos > 0;
        }

        public boolean problemJson() {
            return contentType != null && contentType.startsWith("application/problem+json");
        }

        /** The {@code type} of a problem answer, null for any other answer. */
        public String problemType() {
            return problemJson() ? String.valueOf(Http.json(body).get("type")) : null;
        }

        /** Whether this is a problem answer of this status and {@code urn:fibonacci-rpc:problem:<kind>}. */
        public boolean isProblem(int status, String kind) {
            return this.status == status && ("urn:fibonacci-rpc:problem:" + kind).equals(problemType());
        }

        @Override
        public String toString() {
            String answer = failure != null ? "no answer (" + failure + ")"
                    : status + " " + (body.length() <= 160 ? body : body.substring(0, 160) + "...");
            return "call " + index + " n=" + n + " after " + millis() + " ms: " + answer;
        }
    }

    /** A call sent and not answered yet. */
    public record Pending(int index, int n, long startNanos) {

        public long ageMillis() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        }
    }

    private static final Map<Integer, String> FIBONACCI = new ConcurrentHashMap<>();

    private final URI gateway;
    private final IntUnaryOperator nOfCall;
    private final Semaphore inFlight;
    private final Duration requestTimeout;
    private final long deadlineNanos;
    private final HttpClient http;
    private final ScheduledExecutorService ticks;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final long startNanos = System.nanoTime();
    private volatile boolean stopped;

    private CallStream(Builder builder) {
        this.gateway = builder.gateway;
        this.nOfCall = builder.nOfCall;
        this.inFlight = new Semaphore(builder.concurrency);
        this.requestTimeout = builder.requestTimeout;
        this.deadlineNanos = startNanos + builder.maxDuration.toNanos();
        this.http = newHttpClient();
        this.ticks = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "call-stream " + gateway);
            thread.setDaemon(true);
            return thread;
        });
        ticks.scheduleAtFixedRate(this::tick, 0, builder.interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A stream to the gateway at this base URI ({@code http://127.0.0.1:port}). */
    public static Builder to(URI gateway) {
        return new Builder(gateway);
    }

    public static final class Builder {
        private final URI gateway;
        private IntUnaryOperator nOfCall = index -> 3 + (7 * index) % 1000;
        private int concurrency = 10;
        private Duration interval = Duration.ofMillis(50);
        private Duration maxDuration = Duration.ofSeconds(60);
        private Duration requestTimeout = Duration.ofSeconds(20);

        private Builder(URI gateway) {
            this.gateway = gateway;
        }

        /** n of the call with this index (0, 1, 2, ...). */
        public Builder n(IntUnaryOperator nOfCall) {
            this.nOfCall = nOfCall;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /** Time between two calls: 50 ms is 20 calls a second. */
        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        /** The stream sends nothing after this, even if not stopped. */
        public Builder maxDuration(Duration maxDuration) {
            this.maxDuration = maxDuration;
            return this;
        }

        /** A call with no HTTP answer after this is recorded as lost. */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public CallStream start() {
            return new CallStream(this);
        }
    }

    private void tick() {
        if (stopped || System.nanoTime() - deadlineNanos > 0) {
            return;
        }
        if (!inFlight.tryAcquire()) {
            skipped.incrementAndGet();
            return;
        }
        int index = sent.getAndIncrement();
        int n = nOfCall.applyAsInt(index);
        long started = System.nanoTime();
        pending.put(index, new Pending(index, n, started));
        call(http, gateway, index, n, requestTimeout).whenComplete((call, failure) -> {
            calls.add(call);
            pending.remove(index);
            inFlight.release();
        });
    }

    /** One call, on its own: the future completes with the call as recorded, never exceptionally. */
    public static CompletableFuture<Call> call(URI gateway, int n, Duration requestTimeout) {
        return call(SHARED_HTTP, gateway, -1, n, requestTimeout);
    }

    private static final HttpClient SHARED_HTTP = newHttpClient();

    private static HttpClient newHttpClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static CompletableFuture<Call> call(HttpClient http, URI gateway, int index, int n, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(gateway.resolve("/fib/" + n))
                .header("Accept", "text/plain")
                .timeout(timeout)
                .GET()
                .build();
        long started = System.nanoTime();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, failure) -> failure != null
                        ? new Call(index, n, started, System.nanoTime(), -1, null, null, null, failure.toString())
                        : new Call(index, n, started, System.nanoTime(), response.statusCode(),
                                response.headers().firstValue("Content-Type").orElse(""), response.body(),
                                response.headers().firstValue("Retry-After").orElse(null), null));
    }

    /** fib(n) as decimal text. */
    public static String fibonacci(int n) {
        return FIBONACCI.computeIfAbsent(n, key -> {
            BigInteger previous = BigInteger.ZERO;
            BigInteger current = BigInteger.ONE;
            for (int i = 0; i < key; i++) {
                BigInteger next = previous.add(current);
                previous = current;
                current = next;
            }
            return previous.toString();
        });
    }

    /** The calls answered (or lost) so far, in the order they ended. */
    public List<Call> finished() {
        return List.copyOf(calls);
    }

    /** The calls answered so far that match. */
    public long count(Predicate<Call> condition) {
        return calls.stream().filter(condition).count();
    }

    /** The calls sent and not answered yet, oldest first. */
    public List<Pending> pending() {
        return pending.values().stream().sorted(Comparator.comparingLong(Pending::startNanos)).toList();
    }

    /** Stops sending; waits until every call in flight has its answer (or its request timeout); the tally. */
    public Tally stop() {
        stopped = true;
        ticks.shutdownNow();
        try {
            // each call in flight ends by its request timeout at the latest
            await("the calls in flight").atMost(requestTimeout.plusSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(pending::isEmpty);
        } catch (ConditionTimeoutException e) {
            // the calls still pending are recorded as lost below
        }
        List<Call> all = new ArrayList<>(calls);
        for (Pending call : pending.values()) {
            all.add(new Call(call.index(), call.n(), call.startNanos(), System.nanoTime(), -1, null, null, null,
                    "still unanswered when the stream stopped"));
        }
        all.sort(Comparator.comparingInt(Call::index));
        return new Tally(all, skipped.get());
    }

    @Override
    public void close() {
        stopped = true;
        ticks.shutdownNow();
    }

    /** What the callers of a stream, or a part of it, saw. */
    public record Tally(List<Call> calls, int skipped) {

        public Tally where(Predicate<Call> condition) {
            return new Tally(calls.stream().filter(condition).toList(), 0);
        }

        public int size() {
            return calls.size();
        }

        public long count(Predicate<Call> condition) {
            return calls.stream().filter(condition).count();
        }

        public long status(int status) {
            return count(call -> call.status() == status);
        }

        public long ok() {
            return count(call -> call.status() / 100 == 2);
        }

        public long clientErrors() {
            return count(call -> call.status() / 100 == 4);
        }

        public long serverErrors() {
            return count(call -> call.status() / 100 == 5);
        }

        public long wrong() {
            return count(Call::wrong);
        }

        /** Calls that got no HTTP answer at all. */
        public long lost() {
            return count(call -> !call.answered());
        }

        public Map<Integer, Long> statuses() {
            Map<Integer, Long> statuses = new TreeMap<>();
            calls.forEach(call -> statuses.merge(call.status(), 1L, Long::sum));
            return statuses;
        }

        public long maxMillis() {
            return calls.stream().mapToLong(Call::millis).max().orElse(0);
        }

        public long percentileMillis(double percentile) {
            long[] sorted = calls.stream().mapToLong(Call::millis).sorted().toArray();
            return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length) - 1)];
        }

        public List<Call> matching(Predicate<Call> condition) {
            return calls.stream().filter(condition).toList();
        }

        public String summary() {
            return String.format("%d calls: 2xx=%d 4xx=%d 5xx=%d %s, wrong=%d, lost=%d, skipped=%d, "
                            + "latency p50=%d ms p99=%d ms max=%d ms",
                    size(), ok(), clientErrors(), serverErrors(), statuses(), wrong(), lost(), skipped,
                    percentileMillis(0.5), percentileMillis(0.99), maxMillis());
        }
    }
}
