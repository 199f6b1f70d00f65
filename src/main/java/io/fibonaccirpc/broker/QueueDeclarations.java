package io.fibonaccirpc.broker;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * Declares what the routes declare, and declares it again on every new connection: after a broker restart, queues
 * and their arguments are there before the first request. A queue that exists already with other arguments than
 * ours (the broker refuses our declaration with {@code 406 PRECONDITION_FAILED - inequivalent arg}) is used as it
 * is, after a passive declare, with a WARN that names the difference: a tutorial server that declared
 * {@code rpc_queue} first, non-durable or of another type, keeps working beside ours instead of stopping ours.
 * Such a queue is declared again with every new connection too: when it is gone (a non-durable one after a broker
 * restart) ours takes its place.
 */
public class QueueDeclarations extends RabbitAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(QueueDeclarations.class);
    private static final String INEQUIVALENT = "inequivalent arg";

    /** Queues found declared with other arguments: declared again (ours, or found as they are) with each connection. */
    private final Set<Queue> foundOtherwise = ConcurrentHashMap.newKeySet();

    public QueueDeclarations(ConnectionFactory connectionFactory) {
        super(connectionFactory);
        setRedeclareManualDeclarations(true);
    }

    @Override
    public String declareQueue(Queue queue) {
        try {
            return super.declareQueue(queue);
        } catch (AmqpException e) {
            String difference = inequivalence(e);
            if (difference == null || queue.getName().isEmpty()) {
                throw e;
            }
            String name = getRabbitTemplate().execute(channel -> channel.queueDeclarePassive(queue.getName()).getQueue());
            if (foundOtherwise.add(queue)) {
                LOG.warn("Queue {} exists already, declared otherwise than ours (durable={}, arguments {}): used as it "
                        + "is. The broker said: {}", queue.getName(), queue.isDurable(), queue.getArguments(),
                        difference);
            }
            return name;
        }
    }

    @Override
    public void initialize() {
        super.initialize();
        for (Queue queue : List.copyOf(foundOtherwise)) {
            declareQueue(queue);
        }
    }

    /** The broker's reason when it refused a declaration for other arguments than the queue's; else null. */
    static String inequivalence(Throwable failure) {
        AMQP.Channel.Close close = refusal(failure);
        return close != null && close.getReplyCode() == AMQP.PRECONDITION_FAILED && close.getReplyText() != null
                && close.getReplyText().contains(INEQUIVALENT) ? close.getReplyText() : null;
    }

    /** How the broker closed the channel of an operation that failed so; null when it failed otherwise. */
    public static AMQP.Channel.Close refusal(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ShutdownSignalException signal && signal.getReason() instanceof AMQP.Channel.Close close) {
                return close;
            }
        }
        return null;
    }
}
