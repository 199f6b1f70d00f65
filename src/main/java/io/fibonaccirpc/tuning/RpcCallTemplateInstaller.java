package io.fibonaccirpc.tuning;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import com.rabbitmq.client.ShutdownSignalException;
import io.fibonaccirpc.broker.BrokerConnections;
import io.fibonaccirpc.broker.ReturnedRequests;
import org.apache.camel.CamelContext;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Route;
import org.apache.camel.Service;
import org.apache.camel.component.springrabbit.SpringRabbitMQEndpoint;
import org.apache.camel.component.springrabbit.SpringRabbitMQProducer;
import org.apache.camel.support.LifecycleStrategySupport;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * Gives every InOut spring-rabbitmq producer an {@link RpcCallTemplate} as the producer is added, before any
 * route consumer (the HTTP listener) takes a call. The component would otherwise create a plain template on
 * the first call, without a lock: a burst of first calls made several, and calls failed with "Direct reply-to
 * container is not running". Public, because {@code camel run} instantiates every class it compiles that has
 * a no-argument constructor.
 */
public final class RpcCallTemplateInstaller extends LifecycleStrategySupport {

    /** The registry name of what is told how to know whether a call template's replies are consumed. */
    public static final String REPLIES_WATCHER = "repliesWatcher";

    private final LongAdder lateReplies;
    private final Consumer<BooleanSupplier> repliesWatcher;

    public RpcCallTemplateInstaller() {
        this(new LongAdder(), null);
    }

    /**
     * @param lateReplies    counts the replies that come after their caller was answered
     * @param repliesWatcher told, for each call template, whether its replies are consumed (the gateway's
     *                       availability check); null: the registry's {@value #REPLIES_WATCHER}, if any
     */
    public RpcCallTemplateInstaller(LongAdder lateReplies, Consumer<BooleanSupplier> repliesWatcher) {
        this.lateReplies = lateReplies;
        this.repliesWatcher = repliesWatcher;
    }

    /**
     * Without the overrides ({@code rpc.tuning=false}): each InOut producer's template the component's own (Spring's
     * {@code AsyncRabbitTemplate} on direct reply-to), made as the producer is added rather than by its first calls,
     * several at once, without a lock (CAMEL-24070, open in Camel 4.17).
     */
    public static LifecycleStrategySupport stockTemplates() {
        return new LifecycleStrategySupport() {
            @Override
            public void onServiceAdd(CamelContext context, Service service, Route route) {
                if (service instanceof SpringRabbitMQProducer producer
                        && producer.getEndpoint().getExchangePattern() == ExchangePattern.InOut) {
                    producer.setInOutTemplate(producer.getEndpoint().createInOutTemplate());
                }
            }
        };
    }

    @Override
    public void onServiceAdd(CamelContext context, Service service, Route route) {
        if (service instanceof SpringRabbitMQProducer producer
                && producer.getEndpoint().getExchangePattern() == ExchangePattern.InOut) {
            SpringRabbitMQEndpoint endpoint = producer.getEndpoint();
            AmqpAdmin admin = context.getRegistry().lookupByNameAndType("rabbitAdmin", AmqpAdmin.class);
            if (admin == null) {
                RabbitAdmin own = new RabbitAdmin(endpoint.getConnectionFactory());
                own.setRedeclareManualDeclarations(true);
                own.afterPropertiesSet();
                admin = own;
            }
            RpcCallTemplate callTemplate = RpcCallTemplate.create(endpoint.getConnectionFactory(), admin,
                    endpoint.getRoutingKey(), endpoint.getReplyTimeout(), lateReplies);
            ReturnedRequests returns = context.getRegistry().findSingleByType(ReturnedRequests.class);
            if (returns == null && endpoint.getConnectionFactory() instanceof AbstractConnectionFactory factory) {
                // a connection factory not made by BrokerConnections: channels from now on
                returns = new ReturnedRequests();
                factory.addChannelListener(returns);
            }
            if (returns != null) {
                returns.deliverTo(callTemplate);
            }
            ConnectionListener repliesLost = new ConnectionListener() {
                @Override
                public void onCreate(Connection connection) {
                    // nothing waits on a new connection
                }

                @Override
                public void onShutDown(ShutdownSignalException signal) {
                    callTemplate.connectionLost();
                }
            };
            BrokerConnections.listenToRequestConnection(endpoint.getConnectionFactory(), repliesLost);
            Consumer<BooleanSupplier> watcher = repliesWatcher != null ? repliesWatcher
                    : context.getRegistry().lookupByNameAndType(REPLIES_WATCHER, Consumer.class);
            if (watcher != null) {
                watcher.accept(callTemplate::isListening);
            }
            producer.setInOutTemplate(callTemplate);
        }
    }
}
