package io.fibonaccirpc.tuning;

import java.util.List;
import java.util.Map;

import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcUnavailableException;
import io.fibonaccirpc.wire.TraceContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.apache.camel.support.MessageHelper;
import org.apache.camel.support.ObjectHelper;
import org.apache.camel.support.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A platform-http consumer that holds no thread while a route waits. Camel's own Vert.x consumer runs each
 * request's route on a Vert.x worker thread with the blocking {@code process(exchange)}, so a call waiting for
 * its RPC reply holds one of the 20 workers for its whole round trip: 20 calls in flight at most, however many
 * connections wait. This one runs the route with the asynchronous {@code process(exchange, callback)}; the
 * callback, on whatever thread the reply completes, writes the response on the request's own event loop.
 * <p>
 * Where the route starts depends on the registry's {@link EventLoopPolicy}: on the request's event loop while
 * the policy says nothing on the route's way can block (the gateway's: its broker connection is open, see
 * {@link ServerAvailability}), which spares a hand-off to a worker and back per call; otherwise, or without a
 * policy, on a worker, as Camel's consumer does, free again once the route waits. Proxy endpoints and form
 * bodies are left to Camel's consumer.
 * <p>
 * Written against Camel 4.17.0 ({@code VertxPlatformHttpConsumer}) and Vert.x 4.5; why and what the stock one does
 * instead: docs/tuning.md; off with {@code rpc.tuning=false}.
 */
public class AsyncHttpConsumer extends VertxPlatformHttpConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncHttpConsumer.class);

    /** Told of every response this consumer writes: for metrics. */
    @FunctionalInterface
    public interface ResponseListener {

        /**
         * @param exchange the exchange of the request, still in use: read it, do not keep it
         * @param status   the HTTP status written
         * @param nanos    from the request read to its response written
         */
        void responded(Exchange exchange, int status, long nanos);
    }

    /** Says whether routes may run on the event loop now. */
    @FunctionalInterface
    public interface EventLoopPolicy {

        /** @return true when no step of the routes would block now (no connecting, no waiting for a lock) */
        boolean mayRunOnEventLoop();
    }

    private final ResponseListener listener;
    private final EventLoopPolicy eventLoopPolicy;

    /**
     * @param listener        told of every response written, or null
     * @param eventLoopPolicy when routes may start on the event loop; null: never
     */
    public AsyncHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<io.vertx.core.Handler<RoutingContext>> handlers, String routerName, ResponseListener listener,
            EventLoopPolicy eventLoopPolicy) {
        super(endpoint, processor, handlers, routerName);
        this.listener = listener;
        this.eventLoopPolicy = eventLoopPolicy;
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (getEndpoint().isHttpProxy() || isForm(ctx)) {
            super.handleRequest(ctx);
            return;
        }
        if (isSuspended()) {
            ctx.response().setStatusCode(503).end();
            return;
        }
        long started = System.nanoTime();
        Context eventLoop = ctx.vertx().getOrCreateContext();
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        processHttpRequest(exchange, ctx).onComplete(read -> {
            if (read.failed()) {
                fail(ctx, exchange, read.cause());
                return;
            }
            if (eventLoopPolicy != null && eventLoopPolicy.mayRunOnEventLoop()) {
                try {
                    route(exchange, ctx, eventLoop, started);
                } catch (Exception failure) {
                    fail(ctx, exchange, failure);
                }
                return;
            }
            ctx.vertx().executeBlocking(() -> {
                route(exchange, ctx, eventLoop, started);
                return null;
            }, false).onFailure(failure -> fail(ctx, exchange, failure));
        });
    }

    /** Routes the exchange; the response is written on the request's event loop when the route is done. */
    private void route(Exchange exchange, RoutingContext ctx, Context eventLoop, long started) throws Exception {
        createUoW(exchange);
        getAsyncProcessor().process(exchange, doneSync -> {
            if (doneSync && Context.isOnEventLoopThread() && Vertx.currentContext() == eventLoop) {
                respond(ctx, exchange, started); // the route ran through on the event loop
            } else {
                eventLoop.runOnContext(ignored -> respond(ctx, exchange, started));
            }
        });
    }

    private static boolean isForm(RoutingContext ctx) {
        String contentType = ctx.request().getHeader("Content-Type");
        return contentType != null && (contentType.startsWith("application/x-www-form-urlencoded")
                || contentType.startsWith("multipart/form-data"));
    }

    /** Writes the exchange's message as the HTTP response, as Camel's consumer does for text and bytes. */
    private void respond(RoutingContext ctx, Exchange exchange, long started) {
        try {
            HttpServerResponse response = ctx.response();
            if (!response.ended()) {
                if (exchange.getException() != null) {
                    logFailure(ctx, exchange);
                    end(response, unhandled(exchange));
                    return;
                }
                Message message = exchange.getMessage();
                Object body = message.getBody();
                response.setStatusCode(HttpUtil.determineResponseCode(exchange, body));
                copyHeaders(response, ctx.pathParams(), exchange);
                String contentType = MessageHelper.getContentType(message);
                if (contentType != null) {
                    response.putHeader("Content-Type", contentType);
                }
                if (body == null) {
                    response.end();
                } else if (body instanceof String text) {
                    response.end(text);
                } else {
                    byte[] bytes = body instanceof byte[] b ? b
                            : exchange.getContext().getTypeConverter().mandatoryConvertTo(byte[].class, exchange, body);
                    response.end(Buffer.buffer(bytes));
                }
                hold(ctx, exchange.getVariable(Problem.HOLD_CONNECTION_MILLIS, Long.class));
            }
        } catch (Exception e) {
            LOG.warn("Could not write the response to {} {}", ctx.request().method(), ctx.request().path(), e);
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(500).end("Internal Server Error");
            }
        } finally {
            if (listener != null) {
                listener.responded(exchange, ctx.response().getStatusCode(), System.nanoTime() - started);
            }
            doneUoW(exchange);
            releaseExchange(exchange, false);
        }
    }

    /**
     * Reads nothing more from the request's HTTP/1 connection for this many ms ({@link Problem#HOLD_CONNECTION_MILLIS}):
     * Netty stops reading the socket, so a next request waits in it, unseen, costing nothing. On the event loop.
     */
    private static void hold(RoutingContext ctx, Long millis) {
        if (millis != null && millis > 0 && ctx.request().connection() instanceof ConnectionBase connection
                && ctx.request().version() != HttpVersion.HTTP_2) {
            connection.doPause();
            ctx.vertx().setTimer(millis, id -> connection.doResume());
        }
    }

    /** Answers with this problem: its status, JSON body and Retry-After. */
    static void end(HttpServerResponse response, Problem problem) {
        response.setStatusCode(problem.status()).putHeader("Content-Type", Problem.MEDIA_TYPE);
        if (problem.retryAfter() != null) {
            response.putHeader("Retry-After", problem.retryAfter().toString());
        }
        response.end(problem.toJsonText());
    }

    /**
     * The answer to a call whose failure no route turned into a problem: one the stop of the routes cut short (past
     * the shutdown timeout, its reply had not come; it may have been computed), or a failure of the gateway itself.
     */
    private static Problem unhandled(Exchange exchange) {
        String correlationId = exchange.getVariable(CallLogging.CORRELATION_ID, String.class);
        if (exchange.getContext().isStopping() || exchange.getContext().isStopped()) {
            return Problem.unavailable(RpcUnavailableException.Reason.STOPPING, "the gateway stopped before the reply "
                    + "came (the request may have been computed); call another one", correlationId);
        }
        return Problem.internal(exchange.getException(), correlationId);
    }

    /** Logs a request the route failed, with the call's correlation id and span in the MDC (see CallLogging). */
    private static void logFailure(RoutingContext ctx, Exchange exchange) {
        String correlationId = exchange.getVariable(CallLogging.CORRELATION_ID, String.class);
        String span = exchange.getVariable(TraceContext.TRACEPARENT, String.class);
        try {
            if (correlationId != null) {
                MDC.put(CallLogging.CORRELATION_ID, correlationId);
            }
            if (span != null) {
                MDC.put(CallLogging.TRACE_ID, TraceContext.traceId(span));
                MDC.put(CallLogging.SPAN_ID, TraceContext.spanId(span));
            }
            LOG.warn("{} {} failed", ctx.request().method(), ctx.request().path(), exchange.getException());
        } finally {
            MDC.remove(CallLogging.CORRELATION_ID);
            MDC.remove(CallLogging.TRACE_ID);
            MDC.remove(CallLogging.SPAN_ID);
        }
    }

    private void copyHeaders(HttpServerResponse response, Map<String, String> pathParams, Exchange exchange) {
        HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
        if (filter == null) {
            return;
        }
        for (Map.Entry<String, Object> header : exchange.getMessage().getHeaders().entrySet()) {
            String name = header.getKey();
            if (pathParams.containsKey(name) || name.equalsIgnoreCase("Content-Length")) {
                continue; // path parameters are the request's; the length is the body's own
            }
            HttpUtil.applyHeader(filter, exchange, ObjectHelper.createIterator(header.getValue(), null, true),
                    exchange.getContext().getTypeConverter(), name, (values, first) -> {
                        if (values != null) {
                            response.putHeader(name, values);
                        } else if (first != null) {
                            response.putHeader(name, first);
                        }
                    });
        }
    }

    private void fail(RoutingContext ctx, Exchange exchange, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                failure);
        ctx.fail(failure);
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
