package io.fibonaccirpc.tuning;

import org.aopalliance.aop.Advice;
import org.apache.camel.component.springrabbit.DefaultListenerContainerFactory;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;

/**
 * The listener containers of the server route: Camel's, without the retry advice Camel always puts around the
 * listener, and with lost consumers started again within {@value #CONSUMER_RESTART_MILLIS} ms.
 * <ul>
 * <li>The server route answers every request itself (a reply or an error reply) and never asks for a retry;
 * the advice only cost a proxy and a retry template per request.</li>
 * <li>Spring restarts a consumer whose connection was lost from the container's monitor, by default within 5 to
 * 10 s: so long without a server consuming after every lost connection.</li>
 * <li>Each request is acknowledged on its own, after its reply was published. (Acknowledgements in batches,
 * Spring's {@code messagesPerAck}, were dropped: the container's monitor sends a batch's acknowledgement without
 * the consumer's lock, so after a pause both could acknowledge the same delivery tag, and the broker closed the
 * channel for an unknown one, handing its requests out again.)</li>
 * </ul>
 * <p>
 * Written against camel-spring-rabbitmq 4.17.0 ({@code DefaultListenerContainerFactory}) and Spring AMQP 3.2.8; why and
 * what the stock one does instead: docs/tuning.md; off with {@code rpc.tuning=false}.
 */
public class ServerListenerContainers extends DefaultListenerContainerFactory {

    /** How soon a lost consumer is started again, at most. */
    static final long CONSUMER_RESTART_MILLIS = 500;

    @Override
    public AbstractMessageListenerContainer createListenerContainer(SpringRabbitMQEndpoint endpoint) {
        AbstractMessageListenerContainer container = super.createListenerContainer(endpoint);
        container.setAdviceChain(new Advice[0]);
        if (container instanceof DirectMessageListenerContainer direct) {
            direct.setMonitorInterval(CONSUMER_RESTART_MILLIS);
            direct.setFailedDeclarationRetryInterval(CONSUMER_RESTART_MILLIS);
        }
        return container;
    }
}
