package io.fibonaccirpc.wire;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Removes the headers through which spring-rabbitmq reads and writes a message's AMQP properties
 * ({@code CamelSpringRabbitmq*}), where one message's properties must not pass on to the next: what
 * {@code removeHeaders: pattern: "CamelSpringRabbitmq*"} does, by a comparison of each name's first letters.
 * Camel's pattern matching compiles the pattern as a regular expression for every header that does not match it
 * as a wildcard: the gateway's two such steps were 10% of its CPU at 64 connections (async-profiler, issue 16).
 */
public final class DropAmqpProperties implements Processor {

    /** What the names of the component's headers begin with. */
    public static final String PREFIX = "CamelSpringRabbitmq";

    @Override
    public void process(Exchange exchange) {
        exchange.getMessage().getHeaders().keySet()
                .removeIf(name -> name.regionMatches(true, 0, PREFIX, 0, PREFIX.length()));
    }
}
