//DEPS org.apache.camel:camel-micrometer-prometheus
// For `camel run`, which compiles these sources before it loads the routes: the one library they import that
// neither the Camel CLI nor the jars it finds for their other imports and for the routes bring (the meters).
// Camel's version, that of the CLI; the pom has the same dependency for the jar. CamelRunTest checks both.
package io.fibonaccirpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.springrabbit.SpringRabbitMQComponent;
import org.apache.camel.model.Model;
import org.apache.camel.spi.Registry;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/**
 * The wiring of the application: the broker connection, the beans the routes call, and which routes this
 * process runs ({@code rpc.role}). Every value comes from {@code application.properties} or the environment.
 */
@Configuration
public class FibonacciRpcConfiguration implements CamelConfiguration {

    @PropertyInject("rpc.role")
    private String role;
    @PropertyInject("rabbitmq.host")
    private String host;
    @PropertyInject("rabbitmq.port")
    private int port;
    @PropertyInject(value = "rabbitmq.addresses", defaultValue = "")
    private String addresses;
    @PropertyInject("rabbitmq.username")
    private String username;
    @PropertyInject("rabbitmq.password")
    private String password;
    @PropertyInject("rabbitmq.vhost")
    private String vhost;
    @PropertyInject("rabbitmq.tls")
    private boolean tls;
    @PropertyInject(value = "rabbitmq.tls-trust-store", defaultValue = "")
    private String trustStore;
    @PropertyInject(value = "rabbitmq.tls-trust-store-password", defaultValue = "")
    private String trustStorePassword;
    @PropertyInject("rpc.queue")
    private String queue;
    @PropertyInject("rpc.queue-type")
    private String queueType;
    @PropertyInject("rpc.reply-timeout")
    private long replyTimeoutMillis;
    @PropertyInject("rpc.server-check-interval")
    private long serverCheckIntervalMillis;
    @PropertyInject("rpc.server.reply-to-pattern")
    private String replyToPattern;
    @PropertyInject("rpc.server.private-reply-queues")
    private boolean privateReplyQueues;
    @PropertyInject("fibonacci.max-n")
    private int maxN;

    /** Where the broker's returns of requests go: to the gateway's call template, set up as the routes start. */
    private final ReturnedRequests returnedRequests = new ReturnedRequests();

    /** The values of {@code rpc.queue-type}, as the server route passes them to RabbitMQ ({@code x-queue-type}). */
    static final List<String> QUEUE_TYPES = List.of("classic", "quorum");

    @Override
    public void configure(CamelContext camelContext) {
        RpcRole rpcRole = RpcRole.of(role);
        if (!QUEUE_TYPES.contains(queueType)) {
            throw new IllegalArgumentException(
                    "rpc.queue-type (RPC_QUEUE_TYPE) must be classic or quorum, was '" + queueType + "'");
        }
        camelContext.getCamelContextExtension().getContextPlugin(Model.class)
                .setRouteFilterPattern(rpcRole.includeRoutes(), rpcRole.excludeRoutes());

        CachingConnectionFactory connectionFactory = connectionFactory(rpcRole);
        ServerAvailability serverAvailability = new ServerAvailability(connectionFactory, queue,
                serverCheckIntervalMillis);
        listenToRequestConnection(connectionFactory, serverAvailability);
        if (rpcRole != RpcRole.SERVER) {
            addService(camelContext, serverAvailability);
        }
        RpcCounters counters = new RpcCounters();
        // readiness (/observe/health/ready): DOWN while the connection to the broker is closed
        BrokerHealthCheck brokerHealth = new BrokerHealthCheck();
        listenToRequestConnection(connectionFactory, brokerHealth);

        Registry registry = camelContext.getRegistry();
        // the meters of /observe/metrics (camel-micrometer-prometheus serves the registry of this name)
        RpcMetrics metrics = new RpcMetrics(meterRegistry(registry), counters, camelContext.getInflightRepository());
        Fibonacci fibonacci = new Fibonacci(maxN);
        registry.bind("rabbitConnectionFactory", connectionFactory);
        registry.bind("rabbitAdmin", rabbitAdmin(connectionFactory));
        registry.bind("returnedRequests", returnedRequests);
        registry.bind("fibonacci", fibonacci);
        registry.bind("timedFibonacci", new TimedFibonacci(fibonacci, metrics.computeDuration()));
        registry.bind("requestAdmission", privateReplyQueues
                ? new RequestAdmission(replyToPattern, new PrivateReplyQueues(connectionFactory)::isPrivate)
                : new RequestAdmission(replyToPattern));
        registry.bind("serverAvailability", serverAvailability);
        registry.bind("rpcReplies", new RpcReplies());
        registry.bind("rpcCounters", counters);
        registry.bind("rpcMetrics", metrics);
        registry.bind("brokerHealthCheck", brokerHealth);
        registry.bind("traceContext", new TraceContext());
        registry.bind("correlationIds", new CorrelationIds());
        registry.bind("callLogging", new CallLogging());
        registry.bind("problems", new Problems(replyTimeoutMillis));
        camelContext.addLifecycleStrategy(new RpcCallTemplateInstaller(counters.lateReplies()));
        camelContext.getComponent("spring-rabbitmq", SpringRabbitMQComponent.class)
                .setListenerContainerFactory(new ServerListenerContainers());
        // readiness of the HTTP listener (application.properties makes it a GatedHttpServer)
        GatedHttpServerFactory httpServers = registry.findSingleByType(GatedHttpServerFactory.class);
        if (httpServers != null) {
            registry.bind("httpHealthCheck", httpServers.readiness());
        }
        // HTTP calls wait for their replies without holding a thread
        AsyncHttpEngine httpEngine = new AsyncHttpEngine();
        httpEngine.setCamelContext(camelContext);
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, httpEngine);
    }

    /**
     * Listens to the connection that publishes requests, takes replies and consumes {@code rpc_queue}, not to the
     * publisher connection of the gateway's queue probe (which Spring's addConnectionListener also gives the
     * listener to): a lost probe connection costs no call.
     */
    static void listenToRequestConnection(ConnectionFactory factory, ConnectionListener listener) {
        factory.addConnectionListener(listener);
        ConnectionFactory publisher = factory.getPublisherConnectionFactory();
        if (publisher != null && publisher != factory) {
            publisher.removeConnectionListener(listener);
        }
    }

    /** The registry camel-micrometer-prometheus serves: the one bound under its name, else a new one bound there. */
    private static MeterRegistry meterRegistry(Registry registry) {
        MeterRegistry meters = registry.lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME,
                MeterRegistry.class);
        if (meters == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind(MicrometerConstants.METRICS_REGISTRY_NAME, meters);
        }
        return meters;
    }

    private static void addService(CamelContext camelContext, Object service) {
        try {
            camelContext.addService(service, true, false);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private CachingConnectionFactory connectionFactory(RpcRole rpcRole) {
        CachingConnectionFactory factory = new CachingConnectionFactory(host, port);
        if (!addresses.isBlank()) {
            // the nodes of a cluster: each connection goes to one of them, picked at random (Spring's default
            // shuffle mode), and to another when it is lost; the publisher connection takes the same list
            factory.setAddresses(addresses.strip());
        }
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(vhost);
        String roleName = rpcRole.name().toLowerCase(Locale.ROOT);
        factory.setConnectionNameStrategy(f -> "fibonacci-rpc " + roleName);
        // the second connection: the gateway's queue probe (see ServerAvailability)
        ((AbstractConnectionFactory) factory.getPublisherConnectionFactory())
                .setConnectionNameStrategy(f -> "fibonacci-rpc publisher (" + roleName + ")");
        // a request that no queue takes comes back to its caller (mandatory publish) instead of vanishing: to a
        // return listener on each channel (ReturnedRequests), not through Spring's publisher returns, which would
        // put a header of Spring's on every request
        factory.addChannelListener(returnedRequests);
        if (tls) {
            factory.getRabbitConnectionFactory().useSslProtocol(sslContext());
            factory.getRabbitConnectionFactory().enableHostnameVerification();
        }
        return factory;
    }

    /** The JVM's TLS context, or one that trusts the certificates of {@code rabbitmq.tls-trust-store}. */
    private SSLContext sslContext() {
        try {
            if (trustStore.isBlank()) {
                return SSLContext.getDefault();
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            try (InputStream in = Files.newInputStream(Path.of(trustStore))) {
                trusted.load(in, trustStorePassword.isEmpty() ? null : trustStorePassword.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS to the broker with trust store '" + trustStore + "'", e);
        }
    }

    /** Declares what the routes declare (QueueDeclarations), initialised. */
    private static RabbitAdmin rabbitAdmin(CachingConnectionFactory connectionFactory) {
        RabbitAdmin admin = new QueueDeclarations(connectionFactory);
        admin.afterPropertiesSet();
        return admin;
    }
}
