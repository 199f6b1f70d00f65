package io.fibonaccirpc.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The W3C traceparent rules the gateway and the server follow. */
class TraceContextTest {

    private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void a_child_span_keeps_the_trace_id_and_the_sampled_flag_with_a_new_span_id() {
        String child = TraceContext.childOf(PARENT);

        assertTrue(TraceContext.isValid(child), child);
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.traceId(child));
        assertNotEquals("00f067aa0ba902b7", TraceContext.spanId(child));
        assertTrue(child.startsWith("00-") && child.endsWith("-01"), child);
        assertTrue(TraceContext.childOf(PARENT.substring(0, 53) + "00").endsWith("-00"), "not sampled stays so");
    }

    @Test
    void flags_other_than_sampled_are_not_passed_on() {
        assertTrue(TraceContext.childOf(PARENT.substring(0, 53) + "ff").endsWith("-01"));
        assertTrue(TraceContext.childOf(PARENT.substring(0, 53) + "fe").endsWith("-00"));
    }

    @Test
    void a_later_version_is_read_as_version_00() {
        String later = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next";

        String child = TraceContext.childOf(later);

        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.traceId(child));
        assertTrue(child.startsWith("00-"), child);
        assertEquals(55, child.length());
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // trace id all zeros
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // span id all zeros
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // version 00 with more
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // a later version, no dash after the flags
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", // a dash out of place
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", // not hex
        "4bf92f3577b34da6a3ce929d0e0e4736", // a bare trace id
    })
    void an_invalid_traceparent_starts_a_new_trace(String invalid) {
        assertFalse(TraceContext.isValid(invalid));

        String span = TraceContext.childOf(invalid);

        assertTrue(TraceContext.isValid(span), span);
        assertTrue(span.endsWith("-01"), "a new trace is sampled: " + span);
        assertNotEquals("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.traceId(span));
    }

    @Test
    void new_traces_and_spans_differ() {
        String first = TraceContext.childOf(null);
        String second = TraceContext.childOf(null);

        assertNotEquals(TraceContext.traceId(first), TraceContext.traceId(second));
        assertNotEquals(TraceContext.spanId(TraceContext.childOf(PARENT)), TraceContext.spanId(TraceContext.childOf(PARENT)));
    }
}
