//DEPS org.apache.camel:camel-micrometer-prometheus
// For `camel run`, which compiles these sources before it loads the routes: the one library they import that
// neither the Camel CLI nor the jars it finds for their other imports and for the routes bring (the meters).
// Camel's version, that of the CLI; the pom has the same dependency for the jar. CamelRunTest checks both.
package io.fibonaccirpc;

import java.util.List;
import java.util.Locale;

import io.fibonaccirpc.broker.BrokerConnections;
import io.fibonaccirpc.broker.BrokerHealthCheck;
import io.fibonaccirpc.broker.ReturnedRequests;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.gateway.Callers;
import io.fibonaccirpc.gateway.CorrelationIds;
import io.fibonaccirpc.gateway.GatewayMetrics;
import io.fibonaccirpc.gateway.OpenApiDocument;
import io.fibonaccirpc.gateway.Problems;
import io.fibonaccirpc.gateway.RpcReplies;
import io.fibonaccirpc.gateway.ServerAvailability;
import io.fibonaccirpc.gateway.UnauthorizedCalls;
import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.observe.RpcCounters;
import io.fibonaccirpc.server.PrivateReplyQueues;
import io.fibonaccirpc.server.RequestAdmission;
import io.fibonaccirpc.server.ServerMetrics;
import io.fibonaccirpc.server.TimedFibonacci;
import io.fibonaccirpc.tuning.AsyncHttpConsumer;
import io.fibonaccirpc.tuning.AsyncHttpEngine;
import io.fibonaccirpc.tuning.GatedHttpServerFactory;
import io.fibonaccirpc.tuning.RpcCallTemplateInstaller;
import io.fibonaccirpc.tuning.ServerListenerContainers;
import io.fibonaccirpc.wire.AllowedHeaders;
import io.fibonaccirpc.wire.Argument;
import io.fibonaccirpc.wire.DropAmqpProperties;
import io.fibonaccirpc.wire.TraceContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.StartupListener;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.springrabbit.SpringRabbitMQComponent;
import org.apache.camel.model.Model;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.PluginHelper;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * The composition root: the one class that knows every package. It makes the broker connection, the beans the
 * routes name ({@code ref:}) for this process's role ({@code rpc.role}; FibonacciRpcApplication loads the role's
 * route files). Every value comes from {@code application.properties} or the environment.
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
    @PropertyInject("rpc.max-in-flight")
    private int maxInFlight;
    @PropertyInject("rpc.caller.max-in-flight")
    private int callerMaxInFlight;
    @PropertyInject(value = "http.trusted-proxies", defaultValue = "")
    private String trustedProxies;
    @PropertyInject(value = "http.forwarded-for-header", defaultValue = "X-Forwarded-For")
    private String forwardedForHeader;
    @PropertyInject("rpc.server-check-interval")
    private long serverCheckIntervalMillis;
    @PropertyInject("rpc.server.reply-to-pattern")
    private String replyToPattern;
    @PropertyInject("rpc.server.private-reply-queues")
    private boolean privateReplyQueues;
    @PropertyInject("fibonacci.max-n")
    private int maxN;
    @PropertyInject("rpc.openapi-document")
    private String openApiDocument;
    @PropertyInject(value = "rpc.tuning", defaultValue = "true")
    private boolean tuning;
    @PropertyInject(value = "camel.server.port", defaultValue = "8080")
    private int httpPort;
    @PropertyInject(value = "camel.server.authentication-enabled", defaultValue = "false")
    private boolean authentication;

    /** Where the broker's returns of requests go: to the gateway's call template, set up as the routes start. */
    private final ReturnedRequests returnedRequests = new ReturnedRequests();

    /** The values of {@code rpc.queue-type}, as the server route passes them to RabbitMQ ({@code x-queue-type}). */
    static final List<String> QUEUE_TYPES = List.of("classic", "quorum");

    @Override
    public void configure(CamelContext camelContext) {
        RpcRole rpcRole = RpcRole.of(role);
        if (authentication && !isSet(camelContext, "camel.server.basic-properties-file")
                && !isSet(camelContext, "camel.server.jwt-keystore-type")) {
            // camel-platform-http-main would start with no authentication at all
            throw new IllegalArgumentException("camel.server.authentication-enabled (CAMEL_SERVER_AUTHENTICATION_ENABLED) "
                    + "is true, but neither camel.server.basic-properties-file nor camel.server.jwt-keystore-type is set");
        }
        if (!QUEUE_TYPES.contains(queueType)) {
            throw new IllegalArgumentException(
                    "rpc.queue-type (RPC_QUEUE_TYPE) must be classic or quorum, was '" + queueType + "'");
        }
        // the routes of the role's folders, however the files were given
        camelContext.getCamelContextExtension().getContextPlugin(Model.class).setRouteFilter(route ->
                rpcRole.runsRoutesOf(route.getResource() == null ? null : route.getResource().getLocation()));
        Registry registry = camelContext.getRegistry();

        // the broker (broker/): one connection factory for both sides
        CachingConnectionFactory connectionFactory = BrokerConnections.connectionFactory(new BrokerConnections.Settings(
                host, port, addresses, username, password, vhost, tls, trustStore, trustStorePassword,
                rpcRole.name().toLowerCase(Locale.ROOT)), returnedRequests);
        // readiness (/observe/health/ready): DOWN while the connection to the broker is closed
        BrokerHealthCheck brokerHealth = new BrokerHealthCheck();
        BrokerConnections.listenToRequestConnection(connectionFactory, brokerHealth);
        registry.bind("rabbitConnectionFactory", connectionFactory);
        // added before the application's other services, so stopped after them (the context stops its services in
        // reverse order, after the routes)
        addService(camelContext, BrokerConnections.closedOnStop(connectionFactory));
        registry.bind("rabbitAdmin", BrokerConnections.admin(connectionFactory));
        registry.bind("returnedRequests", returnedRequests);
        registry.bind("brokerHealthCheck", brokerHealth);

        // what both sides use: the wire's argument, trace context and call logging, the meters
        MeterRegistry meters = meterRegistry(registry);
        RpcCounters counters = new RpcCounters();
        Argument argument = new Argument(maxN);
        registry.bind("argument", argument);
        registry.bind("rpcCounters", counters);
        registry.bind("traceContext", new TraceContext());
        registry.bind("dropAmqpProperties", new DropAmqpProperties());
        registry.bind("callLogging", new CallLogging());
        // which headers cross each edge (the endpoints name these as headerFilterStrategy or
        // messagePropertiesConverter): the RPC's own, nothing else of a caller's or a route's
        registry.bind("gatewayHttpHeaders", AllowedHeaders.gatewayHttp());
        registry.bind("gatewayAmqpHeaders", AllowedHeaders.amqp(AllowedHeaders.gatewayRequests()));
        registry.bind("serverAmqpHeaders", AllowedHeaders.amqp(AllowedHeaders.serverRequests()));

        // the server (server/): admission, the computation, its meters
        ServerMetrics serverMetrics = new ServerMetrics(meters, counters.expiredRequests());
        registry.bind("serverMetrics", serverMetrics);
        registry.bind("timedFibonacci", new TimedFibonacci(argument, new Fibonacci(maxN),
                serverMetrics.computeDuration()));
        registry.bind("requestAdmission", privateReplyQueues
                ? new RequestAdmission(replyToPattern, new PrivateReplyQueues(connectionFactory)::isPrivate)
                : new RequestAdmission(replyToPattern));

        // the gateway (gateway/): fail fast, correlation ids, reading replies, problem answers, its meters
        ServerAvailability serverAvailability = new ServerAvailability(connectionFactory, queue,
                serverCheckIntervalMillis);
        BrokerConnections.listenToRequestConnection(connectionFactory, serverAvailability);
        if (rpcRole != RpcRole.SERVER) {
            addService(camelContext, serverAvailability);
        }
        GatewayMetrics gatewayMetrics = new GatewayMetrics(meters, counters.lateReplies(), !tuning);
        registry.bind("gatewayMetrics", gatewayMetrics);
        registry.bind("serverAvailability", serverAvailability);
        registry.bind("correlationIds", new CorrelationIds());
        registry.bind("rpcReplies", new RpcReplies());
        registry.bind("problems", new Problems(replyTimeoutMillis, callerMaxInFlight, maxInFlight));
        registry.bind("callers", new Callers(trustedProxies, forwardedForHeader));
        if (rpcRole != RpcRole.SERVER && authentication) {
            addStartupListener(camelContext, new UnauthorizedCalls(httpPort, gatewayMetrics));
        }
        if (rpcRole != RpcRole.SERVER) {
            registry.bind("openApiDocument", new OpenApiDocument(
                    PluginHelper.getResourceLoader(camelContext).resolveResource(openApiDocument), maxN));
        }

        if (tuning) {
            tune(camelContext, counters, serverAvailability, gatewayMetrics);
        } else {
            // the stock components; only the InOut producers' templates made as the routes start, not by the
            // first calls at once (CAMEL-24070)
            camelContext.addLifecycleStrategy(RpcCallTemplateInstaller.stockTemplates());
        }
    }

    /** The overrides of Camel's and Spring's internals (tuning/), told of the gateway's availability and meters. */
    private static void tune(CamelContext camelContext, RpcCounters counters, ServerAvailability serverAvailability,
                             GatewayMetrics gatewayMetrics) {
        Registry registry = camelContext.getRegistry();
        camelContext.addLifecycleStrategy(new RpcCallTemplateInstaller(counters.lateReplies(),
                serverAvailability::watchReplies));
        camelContext.getComponent("spring-rabbitmq", SpringRabbitMQComponent.class)
                .setListenerContainerFactory(new ServerListenerContainers());
        // readiness of the HTTP listener (application.properties makes it a GatedHttpServer)
        GatedHttpServerFactory httpServers = registry.findSingleByType(GatedHttpServerFactory.class);
        if (httpServers != null && httpServers.isGated()) {
            registry.bind("httpHealthCheck", httpServers.readiness());
        }
        // HTTP calls wait for their replies without holding a thread; a call starts on the event loop while the
        // gateway knows a server is there, and each response is counted by the gateway's meters
        AsyncHttpConsumer.EventLoopPolicy eventLoopPolicy = serverAvailability::mayRunOnEventLoop;
        AsyncHttpConsumer.ResponseListener responseListener = gatewayMetrics::responded;
        registry.bind("eventLoopPolicy", eventLoopPolicy);
        registry.bind("responseListener", responseListener);
        AsyncHttpEngine httpEngine = new AsyncHttpEngine();
        httpEngine.setCamelContext(camelContext);
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, httpEngine);
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

    /** Whether the key has a value that is not blank, in application.properties or the environment. */
    private static boolean isSet(CamelContext camelContext, String key) {
        return camelContext.getPropertiesComponent().resolveProperty(key).filter(value -> !value.isBlank()).isPresent();
    }

    private static void addStartupListener(CamelContext camelContext, StartupListener listener) {
        try {
            camelContext.addStartupListener(listener);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void addService(CamelContext camelContext, Object service) {
        try {
            camelContext.addService(service, true, false);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
