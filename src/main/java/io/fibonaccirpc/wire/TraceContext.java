package io.fibonaccirpc.wire;

import java.util.concurrent.ThreadLocalRandom;

import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Processor;

/**
 * W3C trace context (<a href="https://www.w3.org/TR/trace-context/">traceparent</a>) for the calls: the gateway's
 * handling of a call and the server's handling of its request are spans of one trace. A span is kept as its
 * {@code traceparent} text, {@code 00-<trace id>-<span id>-<flags>}, in the exchange variable {@value #TRACEPARENT};
 * it travels in the header of the same name: the caller's HTTP request header, the AMQP request's header, the
 * HTTP response's header.
 * <p>
 * As an {@link Expression} ({@code ref: traceContext}) it gives the exchange's span: the one in the variable, else
 * a new span, child of the message's {@value #TRACEPARENT} header when that is valid, else the first span of a new
 * trace. Spans are only named here (in log lines and headers), not recorded or exported.
 */
public final class TraceContext implements Expression, Processor {

    /** The header that carries a span, and the exchange variable that holds the exchange's own. */
    public static final String TRACEPARENT = "traceparent";

    private static final int LENGTH = 55;
    private static final int TRACE_ID_START = 3;
    private static final int SPAN_ID_START = 36;
    private static final int FLAGS_START = 53;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public <T> T evaluate(Exchange exchange, Class<T> type) {
        return type.cast(of(exchange));
    }

    /** Starts the exchange's span (the route step {@code process: ref: traceContext}). */
    @Override
    public void process(Exchange exchange) {
        of(exchange);
    }

    /** The exchange's span, made (and kept in its variable) if it has none yet. */
    public static String of(Exchange exchange) {
        String span = exchange.getVariable(TRACEPARENT, String.class);
        if (span == null) {
            span = childOf(exchange.getMessage().getHeader(TRACEPARENT, String.class));
            exchange.setVariable(TRACEPARENT, span);
        }
        return span;
    }

    /**
     * A new span: of the same trace as this traceparent, its parent, when it is a valid one (version 00, or a
     * later version read as 00); else the first span of a new trace, sampled.
     */
    public static String childOf(String parent) {
        char[] span = new char[LENGTH];
        "00-".getChars(0, 3, span, 0);
        span[TRACE_ID_START + 32] = '-';
        span[SPAN_ID_START + 16] = '-';
        if (isValid(parent)) {
            parent.getChars(TRACE_ID_START, TRACE_ID_START + 32, span, TRACE_ID_START);
            // only the sampled flag is defined for version 00: the others are sent as 0
            boolean sampled = (Character.digit(parent.charAt(FLAGS_START + 1), 16) & 1) == 1;
            span[FLAGS_START] = '0';
            span[FLAGS_START + 1] = sampled ? '1' : '0';
        } else {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            long high;
            long low;
            do {
                high = random.nextLong();
                low = random.nextLong();
            } while (high == 0 && low == 0);
            hex(high, span, TRACE_ID_START);
            hex(low, span, TRACE_ID_START + 16);
            span[FLAGS_START] = '0';
            span[FLAGS_START + 1] = '1';
        }
        long id;
        do {
            id = ThreadLocalRandom.current().nextLong();
        } while (id == 0);
        hex(id, span, SPAN_ID_START);
        return new String(span);
    }

    /** The trace id of a traceparent made by {@link #childOf}. */
    public static String traceId(String traceparent) {
        return traceparent.substring(TRACE_ID_START, TRACE_ID_START + 32);
    }

    /** The span id (parent id) of a traceparent made by {@link #childOf}. */
    public static String spanId(String traceparent) {
        return traceparent.substring(SPAN_ID_START, SPAN_ID_START + 16);
    }

    /**
     * Whether this is a traceparent to continue: lower-case hex fields of the right lengths, a trace id and a span
     * id that are not all zeros, a version other than ff, and for version 00 nothing after the flags (a later
     * version may append fields after a dash).
     */
    public static boolean isValid(String traceparent) {
        if (traceparent == null || traceparent.length() < LENGTH) {
            return false;
        }
        String version = traceparent.substring(0, 2);
        if (!isHex(traceparent, 0, 2) || version.equals("ff")
                || version.equals("00") && traceparent.length() != LENGTH
                || traceparent.length() > LENGTH && traceparent.charAt(LENGTH) != '-') {
            return false;
        }
        return traceparent.charAt(2) == '-' && traceparent.charAt(SPAN_ID_START - 1) == '-'
                && traceparent.charAt(FLAGS_START - 1) == '-'
                && isHex(traceparent, TRACE_ID_START, TRACE_ID_START + 32)
                && isHex(traceparent, SPAN_ID_START, SPAN_ID_START + 16)
                && isHex(traceparent, FLAGS_START, LENGTH)
                && !isZeros(traceparent, TRACE_ID_START, TRACE_ID_START + 32)
                && !isZeros(traceparent, SPAN_ID_START, SPAN_ID_START + 16);
    }

    private static boolean isHex(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZeros(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static void hex(long value, char[] into, int at) {
        for (int i = 15; i >= 0; i--) {
            into[at + i] = HEX[(int) (value & 0xf)];
            value >>>= 4;
        }
    }
}
