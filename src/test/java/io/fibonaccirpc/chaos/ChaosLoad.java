package io.fibonaccirpc.chaos;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The soak's callers: a steady {@code GET /fib/{n}} rate spread over the gateways in turn, as a load balancer in
 * front of them would: it polls each gateway's readiness every {@value #READINESS_POLL_MILLIS} ms and sends to the
 * ready ones (to all when none is), and a gateway that refuses the connection (stopped, not yet listening) gets no
 * call, the next gateway gets it. n is drawn from the seeded random, from 0 to {@link #MAX_N}, and now and then a bad one. Every
 * call is recorded as its caller saw it ({@link ChaosCall}).
 */
final class ChaosLoad implements AutoCloseable {

    static final int MAX_N = 2000;
    /** The bad n the callers send now and then, each with the problem type the gateway answers it with. */
    static final Map<String, String> BAD_N = Map.of(
            "abc", "invalid-argument",
            "-1", "out-of-range",
            "100001", "out-of-range");
    private static final List<String> BAD = BAD_N.keySet().stream().sorted().toList();
    private static final double BAD_SHARE = 0.03;
    static final long READINESS_POLL_MILLIS = 100;

    private final List<URI> gateways;
    private final List<String> gatewayNames;
    private final Random random;
    private final Duration requestTimeout;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chaos-load");
        thread.setDaemon(true);
        return thread;
    });
    private final List<ChaosCall> calls = new CopyOnWriteArrayList<>();
    private final Map<Integer, ChaosCall> pending = new ConcurrentHashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    /** 1 where the gateway's last readiness answer was UP. */
    private final AtomicIntegerArray ready;
    private final long originNanos;
    private volatile boolean stopped;

    /**
     * @param originNanos    the soak's time zero, which {@link ChaosCall} times are counted from
     * @param requestTimeout a call with no answer after this is recorded as unanswered
     */
    ChaosLoad(Map<String, URI> gateways, long seed, int callsPerSecond, Duration requestTimeout, long originNanos) {
        this.gatewayNames = List.copyOf(gateways.keySet());
        this.gateways = List.copyOf(gateways.values());
        this.random = new Random(seed);
        this.requestTimeout = requestTimeout;
        this.originNanos = originNanos;
        this.ready = new AtomicIntegerArray(this.gateways.size());
        for (int i = 0; i < this.gateways.size(); i++) {
            ready.set(i, 1);
        }
        ticks.scheduleAtFixedRate(this::pollReadiness, 0, READINESS_POLL_MILLIS, TimeUnit.MILLISECONDS);
        ticks.scheduleAtFixedRate(this::tick, 0, 1_000_000_000L / callsPerSecond, TimeUnit.NANOSECONDS);
    }

    private void pollReadiness() {
        for (int i = 0; i < gateways.size(); i++) {
            int gateway = i;
            http.sendAsync(HttpRequest.newBuilder(gateways.get(i).resolve("/observe/health/ready"))
                            .timeout(Duration.ofMillis(READINESS_POLL_MILLIS * 5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, failure) -> ready.set(gateway,
                            failure == null && response.statusCode() == 200 ? 1 : 0));
        }
    }

    /** The gateway of this call's turn among the ready ones (among all, when none is). */
    private int turn(int index) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < gateways.size(); i++) {
            if (ready.get((index + i) % gateways.size()) == 1) {
                candidates.add((index + i) % gateways.size());
            }
        }
        return candidates.isEmpty() ? index % gateways.size() : candidates.get(0);
    }

    private void tick() {
        if (stopped) {
            return;
        }
        int index = sent.getAndIncrement();
        String n = random.nextDouble() < BAD_SHARE ? BAD.get(random.nextInt(BAD.size()))
                : Integer.toString(random.nextInt(MAX_N + 1));
        long started = System.nanoTime();
        int gateway = turn(index);
        pending.put(index, new ChaosCall(index, n, gatewayNames.get(gateway), millis(started), -1, -1,
                null, null, null, "other: still unanswered when the soak stopped", 0));
        call(index, n, gateway, 0, started).whenComplete((call, failure) -> {
            calls.add(call);
            pending.remove(index);
        });
    }

    /** Calls the gateway of this turn; on a refused connection, the next one, until each was tried once. */
    private CompletableFuture<ChaosCall> call(int index, String n, int gateway, int refused, long started) {
        HttpRequest request = HttpRequest.newBuilder(gateways.get(gateway).resolve("/fib/" + n))
                .header("Accept", "text/plain").timeout(requestTimeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new ChaosCall(index, n, gatewayNames.get(gateway), millis(started),
                        millis(System.nanoTime()), response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(""),
                        response.headers().firstValue("Retry-After").orElse(null), response.body(), null, refused))
                .exceptionallyCompose(failure -> {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    if (cause instanceof ConnectException && refused + 1 < gateways.size()) {
                        return call(index, n, (gateway + 1) % gateways.size(), refused + 1, started);
                    }
                    return CompletableFuture.completedFuture(new ChaosCall(index, n, gatewayNames.get(gateway),
                            millis(started), millis(System.nanoTime()), -1, null, null, null, describe(cause),
                            refused));
                });
    }

    private static String describe(Throwable failure) {
        String kind = failure instanceof ConnectException ? "refused" : failure instanceof IOException ? "io" : "other";
        return kind + ": " + failure;
    }

    private long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos - originNanos);
    }

    /** Stops sending, waits for the calls in flight (their request timeout at most); every call, in order. */
    List<ChaosCall> stop() {
        stopped = true;
        ticks.shutdownNow();
        try {
            await("the soak's calls in flight").atMost(requestTimeout.plusSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(pending::isEmpty);
        } catch (ConditionTimeoutException e) {
            // recorded as unanswered below
        }
        List<ChaosCall> all = new ArrayList<>(calls);
        long now = millis(System.nanoTime());
        pending.values().forEach(call -> all.add(call.endedAt(now)));
        all.sort(Comparator.comparingInt(ChaosCall::index));
        return all;
    }

    @Override
    public void close() {
        stopped = true;
        ticks.shutdownNow();
    }
}
