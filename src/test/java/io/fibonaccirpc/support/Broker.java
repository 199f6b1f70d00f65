package io.fibonaccirpc.support;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

/** A broker the tests talk to, and what they ask of its queues. */
public interface Broker {

    /**
     * The arguments our servers declare {@code rpc.queue} with by default ({@code rpc.queue-type = quorum}): a test
     * double declaring the queue otherwise would be refused with 406 once a server of ours has declared it.
     */
    Map<String, Object> SERVER_QUEUE_ARGUMENTS = Map.of("x-queue-type", "quorum");

    /** A new connection of the tests' own. */
    Connection connect();

    /** Messages ready in a queue, or -1 when the queue does not exist. */
    default long queueDepth(String queue) {
        AMQP.Queue.DeclareOk state = lookAt(queue);
        return state == null ? -1 : state.getMessageCount();
    }

    /** Consumers of a queue, or -1 when the queue does not exist. */
    default long consumerCount(String queue) {
        AMQP.Queue.DeclareOk state = lookAt(queue);
        return state == null ? -1 : state.getConsumerCount();
    }

    /** Declares a queue as the application's servers declare {@code rpc.queue}. */
    default void declareQueue(String queue) {
        try (Connection connection = connect(); Channel channel = connection.createChannel()) {
            channel.queueDeclare(queue, true, false, false, SERVER_QUEUE_ARGUMENTS);
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("cannot declare " + queue, e);
        }
    }

    /** Deletes the queues a test made, whatever they hold. */
    default void deleteQueues(String... queues) {
        try (Connection connection = connect(); Channel channel = connection.createChannel()) {
            for (String queue : queues) {
                channel.queueDelete(queue);
            }
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    private AMQP.Queue.DeclareOk lookAt(String queue) {
        try (Connection connection = connect(); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(queue);
        } catch (IOException e) {
            return null; // the broker closed the channel: no such queue
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
