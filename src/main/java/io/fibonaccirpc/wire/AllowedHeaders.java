package io.fibonaccirpc.wire;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.DefaultMessagePropertiesConverter;
import org.apache.camel.component.springrabbit.MessagePropertiesConverter;
import org.apache.camel.spi.HeaderFilterStrategy;

/**
 * Which headers cross an edge of the RPC: of a message coming in, only the headers named for {@code in} become
 * the exchange's; of the exchange's headers, only those named for {@code out} go onto the message going out.
 * Names compare without regard to case (HTTP's rule; the RPC's own AMQP headers are lower case). Every other
 * header, whoever set it (an HTTP client, a tutorial client, a route), stays on its side.
 * <p>
 * The components take it as their {@code headerFilterStrategy}: platform-http directly, spring-rabbitmq through
 * the {@code messagePropertiesConverter} of an endpoint ({@link #amqp}). It filters headers only: spring-rabbitmq
 * maps its own {@code CamelSpringRabbitmq*} headers to the message's AMQP properties whatever the filter says,
 * so the routes still remove those where a message's properties must not pass on to the next.
 */
public final class AllowedHeaders implements HeaderFilterStrategy {

    private final Set<String> in;
    private final Set<String> out;

    private AllowedHeaders(Set<String> in, Set<String> out) {
        this.in = lowerCase(in);
        this.out = lowerCase(out);
    }

    /** Only the headers {@code in} come in, only the headers {@code out} go out. */
    public static AllowedHeaders of(Set<String> in, Set<String> out) {
        return new AllowedHeaders(in, out);
    }

    /** The gateway's AMQP requests: out the deadline and the span, in the reply's error code. */
    public static AllowedHeaders gatewayRequests() {
        return of(Set.of(RpcHeaders.ERROR), Set.of(RpcHeaders.DEADLINE, RpcHeaders.TRACEPARENT));
    }

    /** The server's AMQP requests and replies: in the deadline and the span, out the reply's error code. */
    public static AllowedHeaders serverRequests() {
        return of(Set.of(RpcHeaders.DEADLINE, RpcHeaders.TRACEPARENT), Set.of(RpcHeaders.ERROR));
    }

    /**
     * The gateway's HTTP calls: in the caller's choice of answer and its span, out the answer's type, when to
     * try again, and the call's span.
     */
    public static AllowedHeaders gatewayHttp() {
        return of(Set.of("Accept", RpcHeaders.TRACEPARENT), Set.of("Content-Type", "Retry-After", RpcHeaders.TRACEPARENT));
    }

    /** A spring-rabbitmq message properties converter that filters the headers with {@code headers}. */
    public static MessagePropertiesConverter amqp(AllowedHeaders headers) {
        DefaultMessagePropertiesConverter converter = new DefaultMessagePropertiesConverter();
        converter.setHeaderFilterStrategy(headers);
        return converter;
    }

    /** True (filtered) unless {@code headerName} may go out. */
    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        return headerValue == null || !out.contains(headerName.toLowerCase(Locale.ROOT));
    }

    /** True (filtered) unless {@code headerName} may come in. */
    @Override
    public boolean applyFilterToExternalHeaders(String headerName, Object headerValue, Exchange exchange) {
        return headerValue == null || !in.contains(headerName.toLowerCase(Locale.ROOT));
    }

    private static Set<String> lowerCase(Set<String> names) {
        return names.stream().map(name -> name.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
}
