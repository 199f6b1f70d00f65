package io.fibonaccirpc;

import org.apache.camel.CamelContext;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Route;
import org.apache.camel.Service;
import org.apache.camel.component.springrabbit.SpringRabbitMQProducer;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the reply listener of every InOut spring-rabbitmq producer as the producer is added, before any
 * route consumer (the HTTP listener) takes a call. The component creates it on the first call without a
 * lock, so a burst of first calls made several, and calls failed with "Direct reply-to container is not
 * running". Public, because {@code camel run} instantiates every class it compiles that has a no-argument
 * constructor.
 */
public final class ReplyListenerWarmUp extends LifecycleStrategySupport {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyListenerWarmUp.class);

    @Override
    public void onServiceAdd(CamelContext context, Service service, Route route) {
        if (service instanceof SpringRabbitMQProducer producer
                && producer.getEndpoint().getExchangePattern() == ExchangePattern.InOut) {
            try {
                producer.getInOutTemplate();
            } catch (RuntimeException e) {
                LOG.warn("Could not start the reply listener of {} yet: {}", producer.getEndpoint(), e.getMessage());
            }
        }
    }
}
