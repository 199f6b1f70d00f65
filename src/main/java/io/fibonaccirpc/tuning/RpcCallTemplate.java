package io.fibonaccirpc.tuning;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import com.rabbitmq.client.Channel;
import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.wire.RpcHeaders;
import io.fibonaccirpc.wire.RpcUnavailableException;
import io.vertx.core.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.ReturnedMessage;
import org.springframework.amqp.rabbit.AsyncRabbitTemplate;
import org.springframework.amqp.rabbit.RabbitMessageFuture;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.PublisherCallbackChannel;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.ConsumeOkEvent;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.ListenerContainerConsumerFailedEvent;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The template behind the client's InOut call: Spring's asynchronous template with one reply queue of its own,
 * {@code <request queue>.replies.<random>} (exclusive: it goes when the connection goes, and is declared again
 * with it), consumed by one consumer without acknowledgements; replies are matched to calls by correlation id.
 * Unlike direct reply-to as Spring does it (a channel held by each call until its reply), a call in flight holds
 * nothing but an entry in a map. The template also
 * <ul>
 * <li>publishes requests non-persistent (delivery mode 1, as the tutorial's client does): one is of no use after
 * its caller's timeout or a broker restart, which takes the reply queue with it;</li>
 * <li>stamps each request, as it is published, with the time its caller has left: the AMQP {@code expiration}
 * (the broker drops it from the queue after that) and a {@value #DEADLINE_HEADER} header in epoch milliseconds
 * (a server drops it uncomputed after that, even if it was held up before reaching the queue);</li>
 * <li>publishes with the {@code mandatory} flag, so that a request no queue takes comes back at once (no
 * route) instead of costing the reply timeout;</li>
 * <li>drops replies that come after their caller gave up, counted, instead of logging each at WARN;</li>
 * <li>fails the calls in flight at once when the connection they wait on closes, instead of letting each
 * wait for its timeout;</li>
 * <li>publishes no request while its reply queue has no consumer: after a lost connection the queue is declared
 * again with the new connection, but until its consumer is back (within {@value #CONSUMER_RESTART_MILLIS} ms of
 * the connection) a reply would wait in it for nobody, and its caller for the timeout. A call then waits for the
 * consumer, {@value #LISTENING_WAIT_MILLIS} ms at most (never on an event loop), and else fails at once
 * ({@code broker-unavailable});</li>
 * <li>removes a call's timeout from the scheduler when the call completes. Spring's own scheduler only marks it
 * cancelled: at thousands of calls a second its queue held every call of the last timeout period, and its
 * thread woke for each of them when its time came (measured: ~5% of a core at 7,000 calls/s).</li>
 * </ul>
 * <p>
 * Written against Spring AMQP 3.2.8 ({@code AsyncRabbitTemplate}) and camel-spring-rabbitmq 4.17.0; why and what the
 * stock one does instead: docs/tuning.md; off with {@code rpc.tuning=false}.
 */
public class RpcCallTemplate extends AsyncRabbitTemplate {

    /** The request header with the caller's deadline, epoch milliseconds. */
    public static final String DEADLINE_HEADER = RpcHeaders.DEADLINE;

    /** What follows the request queue's name in the names of the reply queues. */
    public static final String REPLY_QUEUE_INFIX = ".replies.";

    /** How soon the reply queue's consumer is started again after its connection was lost, at most. */
    static final long CONSUMER_RESTART_MILLIS = 250;
    /** How long a call waits for the reply queue's consumer to be back, at most. */
    static final long LISTENING_WAIT_MILLIS = 2 * CONSUMER_RESTART_MILLIS;

    private static final Logger LOG = LoggerFactory.getLogger(RpcCallTemplate.class);

    /** Correlation ids of the calls in flight, added before their request is published. */
    private final Set<String> awaitingReply = ConcurrentHashMap.newKeySet();
    /** The same calls' futures, to fail them when the connection closes. */
    private final Map<String, RabbitMessageFuture> inFlight = new ConcurrentHashMap<>();
    private final long replyTimeoutMillis;
    private final LongAdder lateReplies;
    private final AmqpAdmin admin;
    private final Queue replyQueue;
    private final ThreadPoolTaskScheduler timeouts = new ThreadPoolTaskScheduler();
    /** Whether the reply queue has its consumer: from its consume-ok to the loss of its connection. */
    private volatile boolean listening;
    private final Object listeningMonitor = new Object();

    private RpcCallTemplate(RabbitTemplate template, DirectMessageListenerContainer replies, Queue replyQueue,
            AmqpAdmin admin, long replyTimeoutMillis, LongAdder lateReplies) {
        super(template, replies);
        this.replyTimeoutMillis = replyTimeoutMillis;
        this.lateReplies = lateReplies;
        this.admin = admin;
        this.replyQueue = replyQueue;
        setReceiveTimeout(replyTimeoutMillis);
        setMandatory(true);
        timeouts.setThreadNamePrefix("fibonacci-rpc-timeouts-");
        timeouts.setRemoveOnCancelPolicy(true);
        setTaskScheduler(timeouts);
        replies.setApplicationEventPublisher(this::onReplyListenerEvent);
    }

    /**
     * @param admin declares the reply queue, and again on every new connection (a {@code RabbitAdmin} that
     *              redeclares its manual declarations)
     */
    public static RpcCallTemplate create(ConnectionFactory connectionFactory, AmqpAdmin admin, String requestQueue,
            long replyTimeoutMillis, LongAdder lateReplies) {
        Queue replyQueue = new Queue(requestQueue + REPLY_QUEUE_INFIX + UUID.randomUUID(), false, true, true);
        DirectMessageListenerContainer replies = new DirectMessageListenerContainer(connectionFactory);
        replies.setQueueNames(replyQueue.getName());
        replies.setAcknowledgeMode(AcknowledgeMode.NONE);
        replies.setConsumersPerQueue(1);
        // Spring restarts a lost consumer from the container's monitor, by default within 5 to 10 s
        replies.setMonitorInterval(CONSUMER_RESTART_MILLIS);
        replies.setFailedDeclarationRetryInterval(CONSUMER_RESTART_MILLIS);
        RabbitTemplate requests = new RabbitTemplate(connectionFactory);
        requests.setRoutingKey(requestQueue);
        // Spring marks every mandatory publish with a header of its own, to find the template of a message the
        // broker returns through its publisher returns; ours come through ReturnedRequests, matched by
        // correlation id, so the header stays off the wire
        requests.addBeforePublishPostProcessors(message -> {
            message.getMessageProperties().getHeaders().remove(PublisherCallbackChannel.RETURN_LISTENER_CORRELATION_KEY);
            return message;
        });
        return new RpcCallTemplate(requests, replies, replyQueue, admin, replyTimeoutMillis, lateReplies);
    }

    /** The queue replies come to: the reply_to of every request. */
    public String replyQueue() {
        return replyQueue.getName();
    }

    /**
     * Declares the reply queue (the admin declares it again on every new connection) and starts. Camel's producer
     * calls this before every call: once started, it returns at once.
     */
    @Override
    public void start() {
        if (isRunning()) {
            return;
        }
        synchronized (this) {
            if (!isRunning()) {
                admin.declareQueue(replyQueue);
                timeouts.initialize();
                super.start();
                // the first call waits for the reply queue's first consume-ok
                awaitListening(replyTimeoutMillis);
            }
        }
    }

    /** Whether replies are consumed now: until it is, no call should start on an event loop. */
    public boolean isListening() {
        return listening;
    }

    /** Waits at most this long for the reply queue's consumer; whether it is there. */
    private boolean awaitListening(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (listeningMonitor) {
            try {
                for (long left = deadline - System.nanoTime(); !listening && left > 0; left = deadline - System.nanoTime()) {
                    listeningMonitor.wait(Math.max(1, left / 1_000_000L));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return listening;
        }
    }

    private void onReplyListenerEvent(Object event) {
        if (event instanceof ConsumeOkEvent) {
            synchronized (listeningMonitor) {
                listening = true;
                listeningMonitor.notifyAll();
            }
        } else if (event instanceof ListenerContainerConsumerFailedEvent) {
            listening = false;
        }
    }

    @Override
    public void stop() {
        synchronized (this) {
            super.stop();
            timeouts.shutdown();
        }
    }

    @Override
    public RabbitMessageFuture sendAndReceive(String exchange, String routingKey, Message message) {
        MessageProperties properties = message.getMessageProperties();
        // a request outlives neither its caller's timeout nor the caller's reply queue: the broker never writes it
        // to disk
        properties.setDeliveryMode(MessageDeliveryMode.NON_PERSISTENT);
        properties.setExpiration(Long.toString(replyTimeoutMillis));
        // as decimal text: every AMQP 0-9-1 client library decodes a string, not all a 64-bit integer (Perl's does not)
        properties.setHeader(DEADLINE_HEADER, Long.toString(System.currentTimeMillis() + replyTimeoutMillis));
        if (!listening && (Context.isOnEventLoopThread() || !awaitListening(LISTENING_WAIT_MILLIS))) {
            throw new RpcUnavailableException(RpcUnavailableException.Reason.BROKER_UNAVAILABLE,
                    "the gateway is not yet listening for replies again after its connection to the broker was lost");
        }
        String correlationId = properties.getCorrelationId();
        if (correlationId == null) {
            return super.sendAndReceive(exchange, routingKey, message);
        }
        awaitingReply.add(correlationId);
        RabbitMessageFuture future;
        try {
            future = super.sendAndReceive(exchange, routingKey, message);
        } catch (RuntimeException e) {
            awaitingReply.remove(correlationId);
            throw e;
        }
        inFlight.put(correlationId, future);
        future.whenComplete((reply, failure) -> {
            awaitingReply.remove(correlationId);
            inFlight.remove(correlationId);
        });
        return future;
    }

    /** A returned request of one of this template's calls fails it (no route); others are not this template's. */
    @Override
    public void returnedMessage(ReturnedMessage returned) {
        String correlationId = returned.getMessage().getMessageProperties().getCorrelationId();
        if (correlationId != null && awaitingReply.contains(correlationId)) {
            super.returnedMessage(returned);
        }
    }

    @Override
    public void onMessage(Message message, Channel channel) {
        String correlationId = message.getMessageProperties().getCorrelationId();
        if (correlationId == null || !awaitingReply.remove(correlationId)) {
            lateReplies.increment();
            if (LOG.isDebugEnabled() && correlationId != null) {
                try (MDC.MDCCloseable call = MDC.putCloseable(CallLogging.CORRELATION_ID, correlationId)) {
                    LOG.debug("Dropped a reply that no caller waits for (correlation id {})", correlationId);
                }
            }
            return;
        }
        super.onMessage(message, channel);
    }

    /**
     * Fails every call in flight: the connection their replies would come on has closed. No call is made again
     * until the reply queue's consumer is back.
     */
    public void connectionLost() {
        listening = false;
        RpcUnavailableException lost = new RpcUnavailableException(RpcUnavailableException.Reason.CONNECTION_LOST,
                "the connection to the broker closed while the call waited for its reply; it may have been computed");
        inFlight.values().forEach(future -> {
            future.completeExceptionally(lost);
            future.cancel(false); // releases what the template holds for it
        });
    }
}
