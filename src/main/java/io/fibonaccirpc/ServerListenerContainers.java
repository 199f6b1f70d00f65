package io.fibonaccirpc;

import org.apache.camel.component.springrabbit.DefaultListenerContainerFactory;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.aopalliance.aop.Advice;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;

/**
 * The listener containers of the server route: Camel's, without the retry advice Camel always puts around the
 * listener, and with acknowledgements sent in batches.
 * <ul>
 * <li>The server route answers every request itself (a reply or an error reply) and never asks for a retry;
 * the advice only cost a proxy and a retry template per request.</li>
 * <li>An acknowledgement is sent for every {@code acksPerBatch} requests (one {@code basic.ack} with
 * {@code multiple}); the container's monitor, every {@code ackDelayMillis}, sends those still pending when
 * traffic is low. Each request is acknowledged after its reply was published, as before: a server that dies holds
 * at most a batch of requests already answered, which the broker gives to another server, whose duplicate
 * replies callers drop as late.</li>
 * </ul>
 */
public class ServerListenerContainers extends DefaultListenerContainerFactory {

    private final int acksPerBatch;
    private final long ackDelayMillis;

    public ServerListenerContainers(int acksPerBatch, long ackDelayMillis) {
        this.acksPerBatch = acksPerBatch;
        this.ackDelayMillis = ackDelayMillis;
    }

    @Override
    public AbstractMessageListenerContainer createListenerContainer(SpringRabbitMQEndpoint endpoint) {
        AbstractMessageListenerContainer container = super.createListenerContainer(endpoint);
        container.setAdviceChain(new Advice[0]);
        if (container instanceof DirectMessageListenerContainer direct && acksPerBatch > 1) {
            direct.setMessagesPerAck(acksPerBatch);
            direct.setAckTimeout(ackDelayMillis);
            direct.setMonitorInterval(ackDelayMillis);
        }
        return container;
    }
}
