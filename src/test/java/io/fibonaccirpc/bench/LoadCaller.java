package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import io.fibonaccirpc.fibonacci.Fibonacci;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The baseline caller: nothing but the RabbitMQ Java client, one connection and one channel, keeping a fixed
 * number of calls in flight (each reply publishes the next call: a closed loop). Calls are matched to replies
 * by correlation id through a map, the way the tutorial's client does. Replies come to an exclusive
 * server-named queue of its own (shared by every call) or through direct reply-to.
 */
final class LoadCaller implements AutoCloseable {

    enum ReplyMode {
        /** An exclusive, server-named reply queue shared by every call, plus a correlation map. */
        CALLBACK_QUEUE,
        /** RabbitMQ direct reply-to ({@code amq.rabbitmq.reply-to}). */
        DIRECT_REPLY_TO
    }

    /** Latencies kept per run: far more than the calls of a run on this machine. */
    private static final int MAX_RECORDED = 2_000_000;
    private static final Fibonacci FIBONACCI = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private static final long PACE_NANOS = 200_000;

    private final Connection connection;
    private final Channel channel;
    private final String queue;
    private final String replyTo;
    private final RequestShape shape;
    private final long[] latencies = new long[MAX_RECORDED];
    private final AtomicLong runs = new AtomicLong();
    private volatile Round round;

    private LoadCaller(Connection connection, String queue, ReplyMode mode, RequestShape shape) throws IOException {
        this.connection = connection;
        this.queue = queue;
        this.shape = shape;
        this.channel = connection.createChannel();
        this.replyTo = mode == ReplyMode.DIRECT_REPLY_TO
                ? "amq.rabbitmq.reply-to"
                : channel.queueDeclare("", false, true, true, null).getQueue();
        // direct reply-to needs the consumer first, on the channel that publishes
        channel.basicConsume(replyTo, true, (tag, delivery) -> onReply(delivery), tag -> {
        });
    }

    static LoadCaller open(ConnectionFactory factory, String queue, ReplyMode mode)
            throws IOException, TimeoutException {
        return open(factory, queue, mode, RequestShape.PLAIN);
    }

    /** A caller whose requests carry what the shape says besides their correlation id and reply_to. */
    static LoadCaller open(ConnectionFactory factory, String queue, ReplyMode mode, RequestShape shape)
            throws IOException, TimeoutException {
        Connection connection = factory.newConnection("benchmark caller (" + mode + ")");
        try {
            return new LoadCaller(connection, queue, mode, shape);
        } catch (IOException | RuntimeException e) {
            connection.abort(5000);
            throw e;
        }
    }

    /**
     * Keeps {@code inFlight} calls of fib(n) in flight for the duration, then waits at most {@code drain} for
     * the calls still out. The calls answered within the duration make the figures; the caller's CPU is measured
     * around this by the benchmark.
     */
    Run run(int n, int inFlight, Duration duration, Duration drain) throws InterruptedException {
        return run(n, inFlight, 0, duration, drain);
    }

    /**
     * As {@link #run(int, int, Duration, Duration)}, but with {@code callsPerSecond} above 0 an open loop at that
     * pace instead: calls are sent as their time comes (never more than {@code inFlight} at once; a call whose time
     * comes while that many are out is not sent), not as replies come.
     */
    Run run(int n, int inFlight, double callsPerSecond, Duration duration, Duration drain)
            throws InterruptedException {
        long startNanos = System.nanoTime();
        Round current = new Round(runs.incrementAndGet() + "-", n, startNanos + duration.toNanos(),
                callsPerSecond <= 0);
        round = current;
        if (current.closedLoop) {
            for (int i = 0; i < inFlight; i++) {
                publish(current);
            }
            // the measurement window: the load goes on, by itself, until its end; nothing to wait for but the time
            long untilEnd = current.endNanos - System.nanoTime();
            if (untilEnd > 0) {
                Thread.sleep(untilEnd / 1_000_000, (int) (untilEnd % 1_000_000));
            }
        } else {
            pace(current, inFlight, callsPerSecond, startNanos);
        }
        try {
            await().atMost(drain).pollInterval(Duration.ofMillis(5)).until(current.pending::isEmpty);
        } catch (ConditionTimeoutException e) {
            // the calls still out are counted as lost below
        }
        round = null;
        long lost = current.pending.size();
        current.pending.clear();
        int recorded = Math.min(current.answered.get(), MAX_RECORDED);
        long[] sorted = Arrays.copyOf(latencies, recorded);
        Arrays.sort(sorted);
        return new Run(current.answered.get() / (duration.toNanos() / 1e9),
                Stats.percentile(sorted, recorded, 0.50) / 1e6, Stats.percentile(sorted, recorded, 0.99) / 1e6,
                current.errors.get() + lost, Map.of());
    }

    /** The open loop: sends the calls whose time has come, about every 0.2 ms, until the run's end. */
    private void pace(Round current, int inFlight, double callsPerSecond, long startNanos) {
        long sent = 0;
        for (long now = System.nanoTime(); now - current.endNanos < 0; now = System.nanoTime()) {
            long due = (long) ((now - startNanos) / 1e9 * callsPerSecond);
            for (; sent < due; sent++) {
                if (current.pending.size() < inFlight) {
                    publish(current);
                }
            }
            LockSupport.parkNanos(PACE_NANOS); // the pace's tick, not a wait for a condition
        }
    }

    private void publish(Round current) {
        String correlationId = current.prefix + current.sequence.incrementAndGet();
        AMQP.BasicProperties properties = shape.properties(correlationId, replyTo);
        current.pending.put(correlationId, System.nanoTime());
        try {
            synchronized (channel) {
                channel.basicPublish("", queue, shape.mandatory(), properties, current.request);
            }
        } catch (IOException | RuntimeException e) {
            current.pending.remove(correlationId);
            current.errors.incrementAndGet();
        }
    }

    /** On the connection's consumer thread: records the call, and in a closed loop sends the next while the run lasts. */
    private void onReply(Delivery delivery) {
        Round current = round;
        String correlationId = delivery.getProperties().getCorrelationId();
        Long started = current == null || correlationId == null ? null : current.pending.get(correlationId);
        if (started == null) {
            return; // a reply to an earlier run, answered after it ended
        }
        long now = System.nanoTime();
        if (now - current.endNanos <= 0) { // answered within the run: counted and followed by the next call
            Map<String, Object> headers = delivery.getProperties().getHeaders();
            boolean right = (headers == null || !headers.containsKey("rpc-error"))
                    && Arrays.equals(delivery.getBody(), current.expected);
            if (right) {
                int index = current.answered.getAndIncrement();
                if (index < MAX_RECORDED) {
                    latencies[index] = now - started;
                }
            } else {
                current.errors.incrementAndGet();
            }
            if (current.closedLoop) {
                publish(current);
            }
        }
        // last: the run waits for an empty map, so everything above is done when it reads the figures
        current.pending.remove(correlationId);
    }

    @Override
    public void close() {
        connection.abort(5000);
    }

    /** The state of one run; replies to calls of another run are ignored. */
    private static final class Round {
        final String prefix;
        final byte[] request;
        final byte[] expected;
        final long endNanos;
        final boolean closedLoop;
        final Map<String, Long> pending = new ConcurrentHashMap<>();
        final AtomicLong sequence = new AtomicLong();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicLong errors = new AtomicLong();

        Round(String prefix, int n, long endNanos, boolean closedLoop) {
            this.prefix = prefix;
            this.closedLoop = closedLoop;
            this.request = Integer.toString(n).getBytes(StandardCharsets.UTF_8);
            this.expected = FIBONACCI.of(n).toString().getBytes(StandardCharsets.UTF_8);
            this.endNanos = endNanos;
        }
    }
}
