package io.fibonaccirpc.observe;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.fibonaccirpc.support.CapturedLogs;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.wire.TraceContext;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.CapturedLogs.mdc;
import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W3C trace context from the HTTP caller through the request to the server and back, and the correlation id and
 * span in the log lines of both sides: a gateway and a server started apart (the server's maximum n below the
 * gateway's, so that a call reaches the server and is refused there, which both sides log).
 */
class TracingTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
    private static final String CALLER = "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01";

    private static String queue;
    private static RunningApplication server;
    private static RunningApplication gateway;

    private final String ownQueue = RunningApplication.newQueueName();

    @BeforeAll
    static void startServerAndGateway() {
        queue = RunningApplication.newQueueName();
        Map<String, String> serverProperties = RunningApplication.isolatedProperties(queue);
        serverProperties.put("rpc.role", "server");
        serverProperties.put("fibonacci.max-n", "1000");
        server = RunningApplication.start(serverProperties);
        Map<String, String> gatewayProperties = RunningApplication.isolatedProperties(queue);
        gatewayProperties.put("rpc.role", "gateway");
        gateway = RunningApplication.start(gatewayProperties);
        // a refusal by the gateway is logged at DEBUG
        CapturedLogs.setLevel("fibonacci-gateway-dead-letter", Level.DEBUG);
    }

    @AfterAll
    static void stop() {
        CapturedLogs.setLevel("fibonacci-gateway-dead-letter", Level.INFO);
        gateway.close();
        server.close();
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @AfterEach
    void deleteOwnQueues() {
        TestBroker.get().deleteQueues(ownQueue, ownQueue + ".dead-letters");
    }

    @Test
    void the_answer_carries_the_callers_trace_with_the_gateways_span() {
        HttpResponse<String> response = get(gateway.uri("/fib/10"), "traceparent", CALLER);

        assertEquals(200, response.statusCode());
        assertEquals("55", response.body());
        String span = traceparent(response);
        assertEquals(TRACE_ID, traceId(span));
        assertNotEquals(CALLER_SPAN_ID, spanId(span), "the gateway's span is a new one, child of the caller's");
        assertTrue(span.endsWith("-01"), "sampled, as the caller's: " + span);
    }

    /** A server that never replies shows the request as it came: its traceparent. */
    @Test
    void the_request_carries_the_trace_to_the_server_with_the_gateways_span_as_parent() {
        Map<String, String> properties = RunningApplication.isolatedProperties(ownQueue);
        properties.put("rpc.role", "gateway");
        properties.put("rpc.reply-timeout", "1500");
        try (CapturedLogs logs = CapturedLogs.start(); SilentServer silent = SilentServer.on(ownQueue);
             RunningApplication timingOut = RunningApplication.start(properties)) {
            HttpResponse<String> response = get(timingOut.uri("/fib/7"), "traceparent", CALLER);

            assertEquals(504, response.statusCode());
            String gatewaySpan = traceparent(response);
            assertEquals(TRACE_ID, traceId(gatewaySpan));
            Object received = silent.received().get(0).getProperties().getHeaders().get("traceparent");
            assertEquals(gatewaySpan, String.valueOf(received), "the request's traceparent: the trace, the gateway's span");
            assertNotEquals(CALLER_SPAN_ID, spanId(String.valueOf(received)));

            String correlationId = (String) json(response.body()).get("correlationId");
            LogEvent failure = await().atMost(Duration.ofSeconds(5)).until(
                    () -> logs.matching(event -> event.getLevel() == Level.WARN
                            && event.getMessage().getFormattedMessage().contains(correlationId)),
                    events -> !events.isEmpty()).get(0);
            assertEquals(correlationId, mdc(failure, "correlationId"));
            assertEquals(TRACE_ID, mdc(failure, "traceId"));
            assertEquals(spanId(gatewaySpan), mdc(failure, "spanId"));
            String line = logs.line(failure);
            assertTrue(line.contains("correlationId=" + correlationId) && line.contains("traceId=" + TRACE_ID), line);
        }
    }

    @Test
    void both_sides_log_a_call_with_its_correlation_id_and_trace() {
        try (CapturedLogs logs = CapturedLogs.start()) {
            HttpResponse<String> response = get(gateway.uri("/fib/5000"), "traceparent", CALLER);

            assertEquals(422, response.statusCode(), response.body());
            String correlationId = (String) json(response.body()).get("correlationId");
            String gatewaySpan = traceparent(response);
            assertEquals(TRACE_ID, traceId(gatewaySpan));

            LogEvent atServer = logOf(logs, "fibonacci-server", correlationId);
            LogEvent atGateway = logOf(logs, "fibonacci-gateway-dead-letter", "was 5000");
            assertEquals(correlationId, mdc(atServer, "correlationId"));
            assertEquals(TRACE_ID, mdc(atServer, "traceId"));
            assertNotEquals(spanId(gatewaySpan), mdc(atServer, "spanId"), "the server's span is its own");
            assertNotEquals(CALLER_SPAN_ID, mdc(atServer, "spanId"));
            assertEquals(correlationId, mdc(atGateway, "correlationId"));
            assertEquals(TRACE_ID, mdc(atGateway, "traceId"));
            assertEquals(spanId(gatewaySpan), mdc(atGateway, "spanId"));
            for (LogEvent event : List.of(atServer, atGateway)) {
                String line = logs.line(event);
                assertTrue(line.contains("correlationId=" + correlationId) && line.contains("traceId=" + TRACE_ID)
                        && line.contains("spanId=" + mdc(event, "spanId")), line);
            }
        }
    }

    @Test
    void a_call_without_a_traceparent_starts_a_trace_that_both_sides_share() {
        try (CapturedLogs logs = CapturedLogs.start()) {
            HttpResponse<String> response = get(gateway.uri("/fib/5001"));

            assertEquals(422, response.statusCode(), response.body());
            String span = traceparent(response);
            assertTrue(TraceContext.isValid(span), span);
            String correlationId = (String) json(response.body()).get("correlationId");
            LogEvent atServer = logOf(logs, "fibonacci-server", correlationId);
            LogEvent atGateway = logOf(logs, "fibonacci-gateway-dead-letter", "was 5001");
            assertEquals(traceId(span), mdc(atServer, "traceId"));
            assertEquals(traceId(span), mdc(atGateway, "traceId"));
            assertEquals(correlationId, mdc(atGateway, "correlationId"));
        }
    }

    @Test
    void an_invalid_traceparent_is_not_continued() {
        String zeros = "00-00000000000000000000000000000000-" + CALLER_SPAN_ID + "-01";

        HttpResponse<String> response = get(gateway.uri("/fib/11"), "traceparent", zeros);

        assertEquals(200, response.statusCode());
        String span = traceparent(response);
        assertTrue(TraceContext.isValid(span), span);
        assertNotEquals("00000000000000000000000000000000", traceId(span));
    }

    @Test
    void a_call_refused_before_it_is_published_carries_its_trace_too() {
        HttpResponse<String> response = get(gateway.uri("/fib/abc"), "traceparent", CALLER);

        assertEquals(400, response.statusCode());
        assertEquals(TRACE_ID, traceId(traceparent(response)));
    }

    /** The log event of this route (its log steps log under its id) whose message has this text. */
    private static LogEvent logOf(CapturedLogs logs, String route, String text) {
        return await().atMost(Duration.ofSeconds(5)).until(
                () -> logs.matching(event -> event.getLoggerName().equals(route)
                        && event.getMessage().getFormattedMessage().contains(text)),
                events -> !events.isEmpty()).get(0);
    }

    private static String traceparent(HttpResponse<?> response) {
        return response.headers().firstValue("traceparent")
                .orElseThrow(() -> new AssertionError("no traceparent in " + response.headers().map()));
    }

    private static String traceId(String traceparent) {
        return traceparent.split("-")[1];
    }

    private static String spanId(String traceparent) {
        return traceparent.split("-")[2];
    }
}
