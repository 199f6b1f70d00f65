package io.fibonaccirpc;

import org.apache.camel.CamelContext;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.component.springrabbit.SpringRabbitMQProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the reply listener of every InOut spring-rabbitmq producer once the routes have started. The
 * component creates it on the first call without a lock, so a burst of first calls made several, and calls
 * failed with "Direct reply-to container is not running". Public, because {@code camel run} instantiates every
 * class it compiles that has a no-argument constructor.
 */
public final class ReplyListenerWarmUp implements ExtendedStartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(ReplyListenerWarmUp.class);

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the producers exist only once the routes have started: see onCamelContextFullyStarted
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        for (SpringRabbitMQProducer producer : context.hasServices(SpringRabbitMQProducer.class)) {
            if (producer.getEndpoint().getExchangePattern() == ExchangePattern.InOut) {
                try {
                    producer.getInOutTemplate();
                } catch (RuntimeException e) {
                    LOG.warn("Could not start the reply listener of {} yet: {}", producer.getEndpoint(), e.getMessage());
                }
            }
        }
    }
}
