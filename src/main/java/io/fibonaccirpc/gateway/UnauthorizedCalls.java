package io.fibonaccirpc.gateway;

import io.fibonaccirpc.wire.CallProblem;
import io.fibonaccirpc.wire.Problem;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * The answer to a call the HTTP listener's authentication refused (camel-platform-http-main's own basic or JWT
 * handler, {@code camel.server.authentication-enabled}): 401 problem JSON ({@code unauthorized}) with the handler's
 * {@code WWW-Authenticate}, counted by the gateway's meters, instead of Vert.x's 401 with an empty body. Nothing is
 * published for it. Added to the listener's router as the routes start, when the authentication is on.
 */
public final class UnauthorizedCalls implements StartupListener {

    private final int port;
    private final GatewayMetrics metrics;

    /** @param port the HTTP listener's port ({@code camel.server.port}), which names its router */
    public UnauthorizedCalls(int port, GatewayMetrics metrics) {
        this.port = port;
        this.metrics = metrics;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the HTTP server has started and made its router; the routes start after this
        VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port))
                .route().order(Integer.MIN_VALUE).failureHandler(this::answer);
    }

    private void answer(RoutingContext request) {
        HttpServerResponse response = request.response();
        if (request.statusCode() != 401 || response.ended()) {
            request.next();
            return;
        }
        metrics.refused(CallProblem.UNAUTHORIZED);
        Problem problem = CallProblem.UNAUTHORIZED.problem(
                "this gateway answers only authenticated calls: give good credentials", null);
        response.setStatusCode(problem.status()).putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(problem.toJsonText());
    }
}
