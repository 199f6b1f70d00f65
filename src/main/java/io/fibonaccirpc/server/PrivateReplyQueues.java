package io.fibonaccirpc.server;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.fibonaccirpc.broker.QueueDeclarations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;

/**
 * Tells whether a {@code reply_to} outside the reply-address pattern is a caller's private reply queue: an
 * exclusive queue of another connection. The broker says so to a passive declare of it, which it refuses with
 * {@code 405 RESOURCE_LOCKED}; a queue any connection may use (a work queue of another application) is declared
 * passively without complaint, and an unknown one is {@code 404 NOT_FOUND}. Only the first are answered: no
 * other application's queue can receive a reply, since an exclusive queue is read by the one connection that owns
 * it and goes with it.
 * <p>
 * Each answer is kept for {@value #KEEP_SECONDS} s ({@value #MAX_ANSWERS} names at most), so a caller's requests
 * cost one look (a channel opened and closed, three round trips) every {@value #KEEP_SECONDS} s, not one each.
 * What a name was in those seconds is what counts: a private queue deleted and declared again, shared, under the
 * same name within them would still be answered until its answer is looked at again.
 * The looks go over a channel of their own on the server's connection, outside Spring's channel cache (a refused
 * passive declare closes its channel).
 */
public final class PrivateReplyQueues {

    static final long KEEP_SECONDS = 10;
    static final int MAX_ANSWERS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(PrivateReplyQueues.class);

    private record Answer(boolean isPrivate, long lookedAtNanos) {
    }

    private final ConnectionFactory connectionFactory;
    private final LongSupplier nanoTime;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();

    public PrivateReplyQueues(ConnectionFactory connectionFactory) {
        this(connectionFactory, System::nanoTime);
    }

    PrivateReplyQueues(ConnectionFactory connectionFactory, LongSupplier nanoTime) {
        this.connectionFactory = connectionFactory;
        this.nanoTime = nanoTime;
    }

    /** Whether this queue is an exclusive queue of another connection, as looked at in the last seconds. */
    public boolean isPrivate(String queue) {
        long now = nanoTime.getAsLong();
        Answer answer = answers.get(queue);
        if (answer != null && now - answer.lookedAtNanos() < TimeUnit.SECONDS.toNanos(KEEP_SECONDS)) {
            return answer.isPrivate();
        }
        Boolean isPrivate = lookAt(queue);
        if (isPrivate == null) {
            return false; // not known now (no connection): refused, and looked at again next time
        }
        if (answers.size() >= MAX_ANSWERS) {
            answers.clear();
        }
        answers.put(queue, new Answer(isPrivate, now));
        return isPrivate;
    }

    /** True: another connection's exclusive queue; false: a shared or unknown queue; null: could not look. */
    private Boolean lookAt(String queue) {
        Channel channel = null;
        try {
            channel = connectionFactory.createConnection().getDelegate().createChannel();
            if (channel == null) {
                return null;
            }
            channel.queueDeclarePassive(queue);
            return false;
        } catch (IOException e) {
            AMQP.Channel.Close refusal = QueueDeclarations.refusal(e);
            int replyCode = refusal == null ? -1 : refusal.getReplyCode();
            if (replyCode == AMQP.RESOURCE_LOCKED || replyCode == AMQP.NOT_FOUND) {
                return replyCode == AMQP.RESOURCE_LOCKED;
            }
            LOG.debug("Could not look at the reply_to queue {}", queue, e);
            return null;
        } catch (RuntimeException e) {
            LOG.debug("Could not look at the reply_to queue {}", queue, e);
            return null;
        } finally {
            if (channel != null && channel.isOpen()) {
                try {
                    channel.close();
                } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
                    // closed with its connection
                }
            }
        }
    }
}
