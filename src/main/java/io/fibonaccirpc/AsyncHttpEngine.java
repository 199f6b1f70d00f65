package io.fibonaccirpc;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Camel's Vert.x platform-http engine with {@link AsyncHttpConsumer}s: bound in the registry as
 * {@code platform-http-engine}, where the platform-http component looks first.
 */
public class AsyncHttpEngine extends VertxPlatformHttpEngine {

    /** Its consumers tell the {@link AsyncHttpConsumer.ResponseListener} of the registry, if there is one. */
    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        AsyncHttpConsumer.ResponseListener listener = endpoint.getCamelContext().getRegistry()
                .findSingleByType(AsyncHttpConsumer.ResponseListener.class);
        return new AsyncHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()), listener);
    }
}
