package io.fibonaccirpc.observe;

import java.util.List;
import java.util.Map;

import io.fibonaccirpc.wire.TraceContext;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.logging.log4j.ThreadContext;

/**
 * Puts the call a route handles into the logging MDC (log4j's ThreadContext, behind SLF4J's MDC) while it handles
 * it: {@value #CORRELATION_ID}, {@value #TRACE_ID} and {@value #SPAN_ID}, which the log pattern shows on every line
 * logged meanwhile, Camel's {@code log} steps, ours and the libraries'. A route policy
 * ({@code routePolicy: callLogging}) for the routes that log about a call and run on one thread from start to end:
 * the server route, and the gateway's dead-letter routes.
 * The gateway's own route logs nothing on the way of a call that succeeds, and its failures are logged by the
 * dead-letter route, so the hot path of the gateway touches no MDC.
 * <p>
 * The correlation id is the exchange variable {@code correlationId}, else the AMQP request's; the span is the
 * exchange's ({@link TraceContext#of}: on a server, a new span whose parent is the gateway's). Not for a route
 * called by another route with this policy on the same thread: its end would clear the caller's MDC.
 */
public final class CallLogging implements ExchangePolicy {

    public static final String CORRELATION_ID = "correlationId";
    public static final String TRACE_ID = "traceId";
    public static final String SPAN_ID = "spanId";

    private static final List<String> KEYS = List.of(CORRELATION_ID, TRACE_ID, SPAN_ID);

    @Override
    public void onExchangeBegin(Route route, Exchange exchange) {
        String correlationId = exchange.getVariable(CORRELATION_ID, String.class);
        if (correlationId == null) {
            correlationId = exchange.getMessage().getHeader(SpringRabbitMQConstants.CORRELATION_ID, String.class);
        }
        String span = TraceContext.of(exchange);
        String traceId = TraceContext.traceId(span);
        String spanId = TraceContext.spanId(span);
        // one change of the thread's context map, not one per key (each copies it): this runs for every request
        ThreadContext.putAll(correlationId == null ? Map.of(TRACE_ID, traceId, SPAN_ID, spanId)
                : Map.of(CORRELATION_ID, correlationId, TRACE_ID, traceId, SPAN_ID, spanId));
    }

    @Override
    public void onExchangeDone(Route route, Exchange exchange) {
        ThreadContext.removeAll(KEYS);
    }
}
