package io.fibonaccirpc.gateway;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.fibonaccirpc.wire.RpcUnavailableException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Service;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Tells, before a request is published, whether a server can take it: the request queue exists, something
 * consumes it, and the broker accepts publishes. Without this, a request to a missing queue or one no server
 * consumes costs its caller the whole reply timeout, and one published during a memory alarm sits in the
 * socket, to be computed for nobody once the alarm clears.
 * <ul>
 * <li>The queue is looked at (a passive declare) at most once per check interval, on the publisher connection,
 * which publishes no requests and so is never blocked by an alarm.</li>
 * <li>The broker tells a connection it is blocked only when the connection next publishes. While started, a
 * one-byte canary is published on the requests' connection every half check interval (to no queue), so an
 * alarm is known within an interval, before a request is held up by it.</li>
 * <li>While calls come, the same thread looks at the queue every half interval, so that a call finds a fresh
 * look and never waits for one: with the connection open, not blocked, and a fresh look that found a server,
 * nothing on a call's way to the broker blocks, and its HTTP route may run on the Vert.x event loop
 * ({@link #mayRunOnEventLoop()}, see {@link AsyncHttpConsumer}). Otherwise (the first call, a call after a
 * connection was lost, no queue, no server) the call runs on a worker thread, looks for itself when the last
 * look is old, and opens the connection again by publishing.</li>
 * </ul>
 */
public final class ServerAvailability implements ConnectionListener, Service, Processor {

    private static final int NOT_FOUND = 404;
    private static final byte[] CANARY = new byte[] { 0 };

    private final RabbitTemplate probe;
    private final RabbitTemplate canary;
    private final String queue;
    private final long intervalMillis;
    private final long intervalNanos;
    private ScheduledExecutorService looker;
    private final AtomicBoolean looking = new AtomicBoolean();
    private volatile Look last;
    private volatile String blockedReason;
    private volatile boolean connectionOpen;
    private volatile long lastCallNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    /** Whether the gateway's replies are consumed (see {@link RpcCallTemplate#isListening()}). */
    private volatile BooleanSupplier repliesConsumed = () -> true;

    private record Look(long atNanos, RpcUnavailableException.Reason unavailable) {
    }

    public ServerAvailability(ConnectionFactory connectionFactory, String queue, long checkIntervalMillis) {
        this.probe = new RabbitTemplate(connectionFactory);
        this.probe.setUsePublisherConnection(true);
        this.canary = new RabbitTemplate(connectionFactory);
        this.queue = queue;
        this.intervalMillis = checkIntervalMillis;
        this.intervalNanos = checkIntervalMillis * 1_000_000L;
    }

    /** Starts publishing the canary, and looking at the queue while calls come. */
    @Override
    public void start() {
        looker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "fibonacci-rpc-availability");
            thread.setDaemon(true);
            return thread;
        });
        looker.scheduleWithFixedDelay(this::lookAround, 0, Math.max(1, intervalMillis / 2), TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (looker != null) {
            looker.shutdownNow();
        }
    }

    private void lookAround() {
        publishCanary();
        if (connectionOpen && System.nanoTime() - lastCallNanos < 2 * intervalNanos) {
            try {
                lookUnlessLooking();
            } catch (AmqpException e) {
                last = null; // unknown: the next call looks for itself
            }
        }
    }

    /** Looks at the queue, and keeps the look, unless another thread is looking: then returns null. */
    private Look lookUnlessLooking() {
        if (!looking.compareAndSet(false, true)) {
            return null;
        }
        try {
            Look look = lookAtQueue();
            last = look;
            return look;
        } finally {
            looking.set(false);
        }
    }

    private void publishCanary() {
        if (blockedReason != null) {
            return; // known already; the unblocked notification says when it ends
        }
        try {
            canary.execute(channel -> {
                channel.basicPublish("", "", false, null, CANARY);
                return null;
            });
        } catch (AmqpException e) {
            // no connection now: the calls themselves find out, and say so
        }
    }

    /** The route's step: {@link #check()}. */
    @Override
    public void process(Exchange exchange) {
        check();
    }

    /**
     * @throws RpcUnavailableException when no server can take a request now
     * @throws AmqpException           when the broker cannot be reached
     */
    public void check() {
        long now = System.nanoTime();
        lastCallNanos = now;
        String blocked = blockedReason;
        if (blocked != null) {
            throw new RpcUnavailableException(RpcUnavailableException.Reason.BROKER_BLOCKED,
                    "the broker blocks publishing: " + blocked);
        }
        Look look = last;
        if (look == null) {
            look = lookAtQueue(); // nothing to go by: every such caller looks
            last = look;
        } else if (now - look.atNanos() > intervalNanos) {
            // one caller looks; the others go by the last look meanwhile
            Look fresh = lookUnlessLooking();
            if (fresh != null) {
                look = fresh;
            }
        }
        if (look.unavailable() == RpcUnavailableException.Reason.NO_QUEUE) {
            throw new RpcUnavailableException(look.unavailable(), "the queue " + queue + " does not exist");
        }
        if (look.unavailable() == RpcUnavailableException.Reason.NO_SERVER) {
            throw new RpcUnavailableException(look.unavailable(), "no server consumes the queue " + queue);
        }
    }

    /** What tells whether the gateway's replies are consumed: a call waits for that otherwise. */
    public void watchReplies(BooleanSupplier consumed) {
        this.repliesConsumed = consumed;
    }

    /**
     * True while a call would not wait for anything before it publishes: the connection is open, its replies are
     * consumed, the broker does not block it, and a look younger than the check interval found a server.
     */
    public boolean mayRunOnEventLoop() {
        Look look = last;
        return connectionOpen && blockedReason == null && look != null && look.unavailable() == null
                && System.nanoTime() - look.atNanos() < intervalNanos && repliesConsumed.getAsBoolean();
    }

    /**
     * Looks at the queue; a look that fails for want of a connection is made once more, which opens the probe's
     * connection again (to another node, in a cluster): a lost probe connection costs no call.
     */
    private Look lookAtQueue() {
        try {
            return lookOnce();
        } catch (AmqpException e) {
            return lookOnce();
        }
    }

    private Look lookOnce() {
        try {
            AMQP.Queue.DeclareOk queueState = probe.execute(channel -> channel.queueDeclarePassive(queue));
            boolean consumed = queueState != null && queueState.getConsumerCount() > 0;
            return new Look(System.nanoTime(), consumed ? null : RpcUnavailableException.Reason.NO_SERVER);
        } catch (AmqpException e) {
            if (isNotFound(e)) {
                return new Look(System.nanoTime(), RpcUnavailableException.Reason.NO_QUEUE);
            }
            throw e;
        }
    }

    private static boolean isNotFound(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException signal && signal.getReason() instanceof AMQP.Channel.Close close
                    && close.getReplyCode() == NOT_FOUND) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onCreate(Connection connection) {
        connectionOpen = true;
        blockedReason = null;
        connection.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blockedReason = reason;
            }

            @Override
            public void handleUnblocked() {
                blockedReason = null;
            }
        });
    }

    @Override
    public void onClose(Connection connection) {
        lost();
    }

    @Override
    public void onShutDown(ShutdownSignalException signal) {
        lost();
    }

    private void lost() {
        connectionOpen = false;
        blockedReason = null;
        last = null;
    }
}
