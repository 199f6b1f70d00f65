package io.fibonaccirpc;

import java.util.concurrent.atomic.AtomicBoolean;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.ShutdownSignalException;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Tells, before a request is published, whether a server can take it: the request queue exists, something
 * consumes it, and the broker accepts publishes. The queue is looked at (a passive declare) at most once per
 * check interval; the broker's blocked notifications are followed as they come. Without this, a request to a
 * missing queue or one no server consumes costs its caller the whole reply timeout.
 */
public final class ServerAvailability implements ConnectionListener {

    private static final int NOT_FOUND = 404;

    private final RabbitTemplate template;
    private final String queue;
    private final long intervalNanos;
    private final AtomicBoolean looking = new AtomicBoolean();
    private volatile Look last;
    private volatile String blockedReason;

    private record Look(long atNanos, RpcUnavailableException.Reason unavailable) {
    }

    public ServerAvailability(RabbitTemplate template, String queue, long checkIntervalMillis) {
        this.template = template;
        this.queue = queue;
        this.intervalNanos = checkIntervalMillis * 1_000_000L;
    }

    /**
     * @throws RpcUnavailableException when no server can take a request now
     * @throws AmqpException           when the broker cannot be reached
     */
    public void check() {
        String blocked = blockedReason;
        if (blocked != null) {
            throw new RpcUnavailableException(RpcUnavailableException.Reason.BROKER_BLOCKED,
                    "the broker blocks publishing: " + blocked);
        }
        Look look = last;
        if (look == null || System.nanoTime() - look.atNanos() > intervalNanos) {
            // one caller looks; the others go by the last look meanwhile
            if (look == null || looking.compareAndSet(false, true)) {
                try {
                    look = lookAtQueue();
                    last = look;
                } finally {
                    looking.set(false);
                }
            }
        }
        if (look.unavailable() == RpcUnavailableException.Reason.NO_QUEUE) {
            throw new RpcUnavailableException(look.unavailable(), "the queue " + queue + " does not exist");
        }
        if (look.unavailable() == RpcUnavailableException.Reason.NO_SERVER) {
            throw new RpcUnavailableException(look.unavailable(), "no server consumes the queue " + queue);
        }
    }

    /** Forgets the last look, so that the next call looks again (after a call found the queue gone). */
    public void forget() {
        last = null;
    }

    private Look lookAtQueue() {
        try {
            AMQP.Queue.DeclareOk queueState = template.execute(channel -> channel.queueDeclarePassive(queue));
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
        blockedReason = null;
        last = null;
    }
}
