package io.fibonaccirpc.tuning;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.Registry;

/**
 * Camel's Vert.x platform-http engine with {@link AsyncHttpConsumer}s: bound in the registry as
 * {@code platform-http-engine}, where the platform-http component looks first.
 */
public class AsyncHttpEngine extends VertxPlatformHttpEngine {

    /**
     * Its consumers tell the {@link AsyncHttpConsumer.ResponseListener} of the registry, if there is one, and
     * start routes on the event loop when the registry's {@link AsyncHttpConsumer.EventLoopPolicy} says so.
     */
    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        Registry registry = endpoint.getCamelContext().getRegistry();
        return new AsyncHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()),
                registry.findSingleByType(AsyncHttpConsumer.ResponseListener.class),
                registry.findSingleByType(AsyncHttpConsumer.EventLoopPolicy.class));
    }
}
