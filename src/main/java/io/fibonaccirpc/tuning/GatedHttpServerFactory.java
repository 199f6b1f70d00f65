package io.fibonaccirpc.tuning;

import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * Makes camel-main's HTTP server a {@link GatedHttpServer}; the management server stays Camel's. camel-main takes
 * the factory of the registry before its own, but creates the server before any configuration class runs: the
 * factory is bound as a bean of application.properties ({@code camel.beans.gatedHttpServers}). With the listener's
 * authentication on JWT, it also makes camel-platform-http-main's JWT handler check each token's issuer and audience
 * ({@link JwtClaims}), with {@code rpc.tuning=false} too.
 */
public final class GatedHttpServerFactory implements MainHttpServerFactory, CamelContextAware {

    private final DefaultMainHttpServerFactory camel = new DefaultMainHttpServerFactory();
    private final Readiness readiness = new Readiness();
    private volatile String managementPrefix = "/observe/";
    private volatile long drainDelay;
    private volatile boolean gated = true;
    private volatile String jwtIssuer;
    private volatile int maxInitialLineLength = 4096;
    private volatile int maxHeaderSize = 8192;
    private volatile int idleTimeout = 60;
    private volatile long requestHeaderTimeout = 20_000;
    private volatile String jwtAudience;
    private GatedHttpServer server;

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties configuration) {
        MainHttpServer configured = (MainHttpServer) camel.newHttpServer(camelContext, configuration);
        if (configuration.isAuthenticationEnabled() && configuration.getBasicPropertiesFile() == null
                && configuration.getJwtKeystoreType() != null) {
            JwtClaims.require(configured.getConfiguration().getAuthenticationConfig(), configuration, jwtIssuer,
                    jwtAudience);
        }
        if (!gated) {
            return configured;
        }
        server = new GatedHttpServer(configured.getConfiguration(), this);
        server.setCamelContext(camelContext);
        return server;
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext,
                                           HttpManagementServerConfigurationProperties configuration) {
        String health = configuration.getHealthPath();
        if (health != null && health.lastIndexOf('/') > 0) {
            managementPrefix = health.substring(0, health.lastIndexOf('/') + 1);
        }
        return camel.newHttpManagementServer(camelContext, configuration);
    }

    /** How long (ms) a stopping gateway still serves with readiness DOWN, before it refuses new connections. */
    public long getDrainDelay() {
        return drainDelay;
    }

    public void setDrainDelay(long drainDelay) {
        this.drainDelay = drainDelay;
    }

    /** The limits of what the listener takes from a client. */
    RequestLimits requestLimits() {
        return new RequestLimits(maxInitialLineLength, maxHeaderSize, idleTimeout, requestHeaderTimeout);
    }

    /** The longest request line taken, bytes (longer: 414). */
    public int getMaxInitialLineLength() {
        return maxInitialLineLength;
    }

    public void setMaxInitialLineLength(int maxInitialLineLength) {
        this.maxInitialLineLength = maxInitialLineLength;
    }

    /** The most bytes of headers taken, all together (more: 431). */
    public int getMaxHeaderSize() {
        return maxHeaderSize;
    }

    public void setMaxHeaderSize(int maxHeaderSize) {
        this.maxHeaderSize = maxHeaderSize;
    }

    /** Seconds a connection may stay with nothing read or written before it is closed. */
    public int getIdleTimeout() {
        return idleTimeout;
    }

    public void setIdleTimeout(int idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    /** Ms a connection has to deliver a request's line and headers, from its opening or its last answer. */
    public long getRequestHeaderTimeout() {
        return requestHeaderTimeout;
    }

    public void setRequestHeaderTimeout(long requestHeaderTimeout) {
        this.requestHeaderTimeout = requestHeaderTimeout;
    }

    /** The issuer a caller's JWT must name ({@code iss}), when the listener's authentication is JWT. */
    public String getJwtIssuer() {
        return jwtIssuer;
    }

    public void setJwtIssuer(String jwtIssuer) {
        this.jwtIssuer = jwtIssuer;
    }

    /** The audience a caller's JWT must name ({@code aud}), when the listener's authentication is JWT. */
    public String getJwtAudience() {
        return jwtAudience;
    }

    public void setJwtAudience(String jwtAudience) {
        this.jwtAudience = jwtAudience;
    }

    /** False: camel-main's own HTTP server ({@code rpc.tuning=false}), with no readiness of its own. */
    public boolean isGated() {
        return gated;
    }

    public void setGated(boolean gated) {
        this.gated = gated;
    }

    /** Where the management endpoints are: {@code /observe/} unless camel.management.health-path says otherwise. */
    String managementPrefix() {
        return managementPrefix;
    }

    /** Readiness: DOWN until the listener is open, and from the moment the application starts to stop. */
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public CamelContext getCamelContext() {
        return camel.getCamelContext();
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        camel.setCamelContext(camelContext);
    }

    /** The readiness check of the HTTP listener. */
    public final class Readiness extends AbstractHealthCheck {

        private Readiness() {
            super("fibonacci-rpc", "http");
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            GatedHttpServer.Phase now = server == null ? GatedHttpServer.Phase.STARTING : server.phase();
            if (now == GatedHttpServer.Phase.SERVING) {
                builder.up();
            } else {
                builder.down().message(now == GatedHttpServer.Phase.STARTING ? "the routes are starting" : "the gateway is stopping");
            }
        }
    }
}
