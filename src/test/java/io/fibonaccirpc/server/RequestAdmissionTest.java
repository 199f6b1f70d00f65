package io.fibonaccirpc.server;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import io.fibonaccirpc.observe.CallLogging;
import io.fibonaccirpc.wire.RpcHeaders;
import org.apache.camel.Exchange;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Admission without a broker: which requests a server computes, and how it refuses the others. */
class RequestAdmissionTest {

    private static final long NOW = 1_800_000_000_000L;
    private static final String PATTERN = "amq\\.gen-.+|rpc_queue\\.replies\\..+";

    private final RequestAdmission admission = new RequestAdmission(PATTERN, "private-queue"::equals,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    @Test
    void a_request_to_a_reply_address_before_its_deadline_is_admitted_and_its_call_kept_in_variables() {
        Exchange exchange = request("rpc_queue.replies.abc", Long.toString(NOW + 1));
        assertDoesNotThrow(() -> admission.process(exchange));
        assertEquals("ADMIT", exchange.getVariable(RequestAdmission.VERDICT));
        assertEquals("id-1", exchange.getVariable(CallLogging.CORRELATION_ID));
        assertEquals("rpc_queue.replies.abc", exchange.getVariable(RequestAdmission.REPLY_TO));
        assertDoesNotThrow(() -> admission.process(request("private-queue", null)), "a caller's private queue");
        assertDoesNotThrow(() -> admission.process(request("amq.gen-x", NOW + 1)), "a deadline as an integer");
    }

    @Test
    void a_request_past_its_deadline_is_refused_as_expired() {
        Exchange exchange = request("amq.gen-x", Long.toString(NOW - 1));
        assertThrows(RequestExpired.class, () -> admission.process(exchange));
        assertEquals("EXPIRED", exchange.getVariable(RequestAdmission.VERDICT));
    }

    @Test
    void a_request_without_a_reply_address_or_with_another_queue_is_refused_with_its_verdict() {
        RequestRefused none = assertThrows(RequestRefused.class, () -> admission.process(request(null, null)));
        assertEquals(RequestAdmission.Verdict.NO_REPLY_TO, none.getVerdict());
        RequestRefused other = assertThrows(RequestRefused.class,
                () -> admission.process(request("orders", null)));
        assertEquals(RequestAdmission.Verdict.FORBIDDEN_REPLY_TO, other.getVerdict());
        assertEquals("urn:fibonacci-rpc:problem:forbidden-reply-to", admission.problemType("FORBIDDEN_REPLY_TO"));
    }

    private static Exchange request(String replyTo, Object deadline) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader(SpringRabbitMQConstants.CORRELATION_ID, "id-1");
        exchange.getMessage().setHeader(SpringRabbitMQConstants.REPLY_TO, replyTo);
        exchange.getMessage().setHeader(RpcHeaders.DEADLINE, deadline);
        return exchange;
    }
}
