package io.fibonaccirpc.observe;

import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;

/**
 * A route policy that only acts on exchanges: the route lifecycle callbacks do nothing. Deliberately not Camel's
 * {@code RoutePolicySupport}, which is a service: a route that stops, or is reloaded, would stop it, and Camel
 * no longer calls a stopped policy for the other routes that share it.
 */
public interface ExchangePolicy extends RoutePolicy {

    @Override
    default void onInit(Route route) {
    }

    @Override
    default void onRemove(Route route) {
    }

    @Override
    default void onStart(Route route) {
    }

    @Override
    default void onStop(Route route) {
    }

    @Override
    default void onSuspend(Route route) {
    }

    @Override
    default void onResume(Route route) {
    }
}
