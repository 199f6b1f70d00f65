package io.fibonaccirpc.tuning;

import java.lang.reflect.Field;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;

import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcUnavailableException;
import io.netty.channel.Channel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.TCPServerBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.StartupListener;
import org.apache.camel.StaticService;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.impl.event.CamelContextStoppingEvent;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.component.vertx.common.VertxHelper;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP listener of the routes (camel.server.*): platform-http's Vert.x server, as camel-platform-http-main
 * configures it, but
 * <ul>
 * <li>listening only once every route has started: before that a connection is refused (a load balancer or a
 * client tries another gateway) instead of answered 404 for paths whose route is not there yet;</li>
 * <li>from the moment the application starts to stop (SIGTERM), before any route stops: readiness is DOWN while
 * calls are still served for the drain delay ({@code http.drain-delay}), so that a load balancer that polls
 * readiness sends the next ones elsewhere; then new connections are refused, and a call that still comes on an open connection is answered at once 503
 * {@code stopping} (problem JSON, {@code Retry-After}, {@code Connection: close}) while the calls in flight are
 * answered; the open connections close with the routes' end. Vert.x 4 closes its listening socket only together
 * with every open connection, so the listening socket is closed on its own here, through Vert.x's internals
 * ({@link #stopAccepting}); where they have changed, new connections are taken and answered 503 until the end.</li>
 * </ul>
 * The management endpoints ({@code /observe/...}) on the same port are never held back. Made by
 * {@link GatedHttpServerFactory}.
 * <p>
 * Written against camel-platform-http-main 4.17.0 ({@code MainHttpServer}) and Vert.x 4.5; why and what the stock one
 * does instead: docs/tuning.md; off with {@code rpc.tuning=false}.
 */
public final class GatedHttpServer extends ServiceSupport implements CamelContextAware, StaticService {

    private static final Logger LOG = LoggerFactory.getLogger(GatedHttpServer.class);

    /** Listening from SERVING on; DRAINING still serves, but readiness is DOWN; STOPPING refuses. */
    enum Phase { STARTING, SERVING, DRAINING, STOPPING }

    private final VertxPlatformHttpServerConfiguration configuration;
    private final GatedHttpServerFactory factory;
    private CamelContext camelContext;
    private Server server;
    private volatile Phase phase = Phase.STARTING;

    Phase phase() {
        return phase;
    }

    GatedHttpServer(VertxPlatformHttpServerConfiguration configuration, GatedHttpServerFactory factory) {
        this.configuration = configuration;
        this.factory = factory;
    }

    /**
     * The Vert.x server, whose start binds the router and waits for {@link #listen} to listen: as Camel's listens, with
     * the same router and TLS, but with the request limits ({@link RequestLimits}) set and watched.
     */
    private static final class Server extends VertxPlatformHttpServer {

        private final VertxPlatformHttpServerConfiguration configuration;
        private final RequestLimits limits;
        private volatile HttpServer listening;
        /** Whether the Vert.x instance is this server's own (none in the registry): closed with it, as Camel's is. */
        private volatile boolean ownVertx;

        Server(VertxPlatformHttpServerConfiguration configuration, RequestLimits limits) {
            super(configuration);
            this.configuration = configuration;
            this.limits = limits;
        }

        @Override
        protected void doStart() {
            initializeServer();
        }

        @Override
        protected Vertx createVertxInstance() {
            ownVertx = true;
            return super.createVertxInstance();
        }

        /**
         * Camel's stop closes the server and its own Vert.x on an executor that only its start, not called here,
         * makes (it failed with a NullPointerException, and left Vert.x's threads running): both are closed here.
         */
        @Override
        protected void doStop() {
            stopServer();
            Vertx vertx = getVertx();
            if (ownVertx && vertx != null) {
                ownVertx = false;
                try {
                    vertx.close().toCompletionStage().toCompletableFuture().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException e) {
                    LOG.warn("Vert.x did not close cleanly: {}", e.getCause().getMessage());
                }
            }
        }

        void listen() throws Exception {
            CamelContext context = getCamelContext();
            HttpServerOptions options = limits.options();
            SSLContextParameters tls = configuration.getSslContextParameters() != null
                    ? configuration.getSslContextParameters()
                    : configuration.isUseGlobalSslContextParameters() ? context.getSSLContextParameters() : null;
            if (tls != null) {
                VertxHelper.setupSSLOptions(context, tls, options);
            }
            Router router = Router.router(getVertx());
            router.route(configuration.getPath() + "*").subRouter(VertxPlatformHttpRouter.lookup(context,
                    VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort())));
            HttpServer server = getVertx().createHttpServer(options);
            limits.watch(getVertx(), server, router);
            listening = server.listen(configuration.getBindPort(), configuration.getBindHost())
                    .toCompletionStage().toCompletableFuture().get();
            LOG.info("Vert.x HttpServer started on {}:{}", configuration.getBindHost(), listening.actualPort());
        }

        @Override
        public HttpServer getServer() {
            return listening;
        }

        @Override
        public int getPort() {
            HttpServer server = listening;
            return server != null ? server.actualPort() : configuration.getBindPort();
        }

        @Override
        protected void stopServer() {
            HttpServer server = listening;
            if (server == null) {
                return;
            }
            limits.stop(getVertx());
            getCamelContext().removeComponent(PlatformHttpConstants.PLATFORM_HTTP_COMPONENT_NAME);
            try {
                server.close().toCompletionStage().toCompletableFuture().get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.warn("The HTTP listener did not close cleanly: {}", e.getCause().getMessage());
            } finally {
                listening = null;
            }
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    protected void doInit() throws Exception {
        server = new Server(configuration, factory.requestLimits());
        // the context stops it, after the routes
        camelContext.addService(server);
        // where the platform-http consumers find the port of their router while the server does not listen yet
        camelContext.getRegistry().bind("gatedHttpServerConfiguration", configuration);
    }

    @Override
    protected void doStart() throws Exception {
        ServiceHelper.startService(server);
        VertxPlatformHttpRouter.lookup(camelContext, VertxPlatformHttpRouter.getRouterNameFromPort(
                configuration.getPort())).route().order(Integer.MIN_VALUE).handler(this::gate);
        camelContext.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                // the routes are not started yet
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                if (phase == Phase.STARTING) {
                    // serving before the socket listens: a connection accepted the moment it listens is served,
                    // not answered 503 by the gate (seen in CI: a starting gateway's first answer was "stopping")
                    phase = Phase.SERVING;
                    try {
                        server.listen();
                    } catch (Exception | Error e) {
                        phase = Phase.STARTING;
                        throw e;
                    }
                }
            }
        });
        camelContext.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelContextStoppingEvent;
            }

            @Override
            public void notify(CamelEvent event) {
                drain();
            }
        });
    }

    /**
     * The first moments of a stop, before any route stops: readiness DOWN while calls are still served, for the
     * drain delay, so that a load balancer that polls readiness sends the next calls elsewhere; then no new
     * connection, and 503 stopping on the open ones.
     */
    private void drain() {
        if (phase != Phase.SERVING) {
            phase = Phase.STOPPING;
            return;
        }
        phase = Phase.DRAINING;
        long end = System.nanoTime() + factory.getDrainDelay() * 1_000_000L;
        for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left); // a delay, by configuration, not a wait for a condition
        }
        phase = Phase.STOPPING;
        stopAccepting(server.getServer());
    }

    @Override
    protected void doStop() {
        phase = Phase.STOPPING;
    }

    /**
     * Closes the server's listening socket and nothing else: new connections are refused, the open ones stay. Vert.x
     * 4 has no API for it; this reads the bound channel of its TCP server. Where that fails, nothing is closed.
     */
    static void stopAccepting(HttpServer server) {
        if (!(server instanceof TCPServerBase tcp)) {
            return;
        }
        try {
            Field actualServer = TCPServerBase.class.getDeclaredField("actualServer");
            Field bindFuture = TCPServerBase.class.getDeclaredField("bindFuture");
            actualServer.setAccessible(true);
            bindFuture.setAccessible(true);
            Object actual = actualServer.get(tcp);
            Object bound = bindFuture.get(actual != null ? actual : tcp);
            if (bound instanceof Future<?> future && future.result() instanceof Channel listening) {
                listening.close();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Cannot close the HTTP listener before its connections: new ones are answered 503", e);
        }
    }

    private void gate(RoutingContext request) {
        if (phase == Phase.SERVING || phase == Phase.DRAINING || request.normalizedPath().startsWith(factory.managementPrefix())) {
            server.limits.answering(request);
            request.next();
            return;
        }
        Problem problem = Problem.unavailable(RpcUnavailableException.Reason.STOPPING,
                "the gateway is shutting down; call another one, or again shortly", null);
        AsyncHttpConsumer.end(request.response().putHeader("Connection", "close"), problem);
    }
}
