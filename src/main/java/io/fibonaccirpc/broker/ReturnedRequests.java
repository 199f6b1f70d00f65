package io.fibonaccirpc.broker;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Return;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.ReturnedMessage;
import org.springframework.amqp.rabbit.connection.ChannelListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate.ReturnsCallback;
import org.springframework.amqp.rabbit.support.DefaultMessagePropertiesConverter;
import org.springframework.amqp.rabbit.support.MessagePropertiesConverter;

/**
 * Requests that the broker gave back (a mandatory publish that no queue took), handed to the gateway's call
 * templates, which match them to their calls by correlation id. A listener on every channel of the connection
 * factory, added as each channel is created; the factory's own publisher returns stay off. Spring's returns need
 * a header of Spring's on every mandatory publish ({@code spring_listener_return_correlation}, to find the
 * template a returned message belongs to): with this, nothing of Spring's travels on the wire.
 */
public final class ReturnedRequests implements ChannelListener {

    private static final MessagePropertiesConverter PROPERTIES = new DefaultMessagePropertiesConverter();

    private final List<ReturnsCallback> templates = new CopyOnWriteArrayList<>();

    /** Hands every returned request to this template too. */
    public void deliverTo(ReturnsCallback template) {
        templates.add(template);
    }

    @Override
    public void onCreate(Channel channel, boolean transactional) {
        channel.addReturnListener(this::returned);
    }

    private void returned(Return returned) {
        MessageProperties properties = PROPERTIES.toMessageProperties(returned.getProperties(), null,
                StandardCharsets.UTF_8.name());
        ReturnedMessage message = new ReturnedMessage(new Message(returned.getBody(), properties),
                returned.getReplyCode(), returned.getReplyText(), returned.getExchange(), returned.getRoutingKey());
        templates.forEach(template -> template.returnedMessage(message));
    }
}
