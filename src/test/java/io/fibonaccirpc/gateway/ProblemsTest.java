package io.fibonaccirpc.gateway;

import java.net.ConnectException;
import java.util.concurrent.RejectedExecutionException;

import io.fibonaccirpc.wire.Problem;
import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import io.fibonaccirpc.wire.RpcUnavailableException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.core.AmqpMessageReturnedException;
import org.springframework.amqp.core.AmqpReplyTimeoutException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.ReturnedMessage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The problem answer of each way a call fails, without a broker: status, type, Retry-After, correlation id. */
class ProblemsTest {

    private static final String ID = "4f6c0a2e";
    private final Problems problems = new Problems(10_000, 2, 500);

    @Test
    void the_gateways_own_check_of_n_is_a_400_of_no_call() {
        Problem invalid = problems.of(new RpcException(RpcError.INVALID_ARGUMENT, "n must be a decimal integer"), ID);
        assertProblem(invalid, 400, "invalid-argument", null);
        assertNull(invalid.correlationId(), "nothing was published");

        assertProblem(problems.of(new RpcException(RpcError.OUT_OF_RANGE, "n must be at most 100000"), ID),
                400, "out-of-range", null);
    }

    @Test
    void a_servers_error_reply_keeps_the_calls_correlation_id() {
        Problem refused = problems.of(RpcException.fromReply("INVALID_ARGUMENT", "not a number"), ID);
        assertProblem(refused, 400, "invalid-argument", null);
        assertEquals(ID, refused.correlationId());

        assertProblem(problems.of(RpcException.fromReply("OUT_OF_RANGE", "beyond 1000"), ID), 422, "out-of-range", null);
        assertProblem(problems.of(RpcException.fromReply("INTERNAL", "failed"), ID), 502, "internal", null);
        assertProblem(problems.of(new RpcException(RpcError.BAD_REPLY, "not a value"), ID), 502, "bad-reply", null);
    }

    @Test
    void a_throttle_rejection_before_the_caller_is_admitted_is_that_callers_429() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            // the gateway route's second throttle rejects a call its caller's limit admitted: the gateway's own bound
            Exchange admitted = new DefaultExchange(camel);
            admitted.setException(new RejectedExecutionException("Exceeded the max throttle rate of 500"));
            admitted.setVariable(Callers.VARIABLE, "user:flood");
            admitted.setVariable(Problems.CALLER_ADMITTED, "true");
            problems.process(admitted);
            assertProblem(admitted.getVariable(Problems.VARIABLE, Problem.class), 503, "overloaded", 1);

            Exchange ofCaller = new DefaultExchange(camel);
            ofCaller.setException(new RejectedExecutionException("Exceeded the max throttle rate of 2"));
            ofCaller.setVariable(Callers.VARIABLE, "user:flood");
            problems.process(ofCaller);
            Problem limited = ofCaller.getVariable(Problems.VARIABLE, Problem.class);
            assertProblem(limited, 429, "too-many-calls", 1);
            assertTrue(limited.detail().contains("user:flood") && limited.detail().contains(" 2 calls in flight"),
                    limited.detail());
            assertNull(limited.correlationId(), "nothing was published");

            // a caller's limit no lower than the gateway's: the caller has all the gateway's calls in flight
            Exchange all = new DefaultExchange(camel);
            all.setException(new RejectedExecutionException("Exceeded the max throttle rate of 500"));
            all.setVariable(Callers.VARIABLE, "address:192.0.2.1");
            new Problems(10_000, 500, 500).process(all);
            assertProblem(all.getVariable(Problems.VARIABLE, Problem.class), 503, "overloaded", 1);
        }
    }

    @Test
    void a_call_that_cannot_be_made_now_is_a_503_with_retry_after() {
        for (RpcUnavailableException.Reason reason : RpcUnavailableException.Reason.values()) {
            Problem problem = problems.of(new RpcUnavailableException(reason, "detail"), ID);
            assertEquals(503, problem.status(), reason.name());
            assertTrue(problem.retryAfter() != null && problem.retryAfter() > 0, reason.name());
        }
        assertProblem(problems.of(new RpcUnavailableException(RpcUnavailableException.Reason.NO_SERVER, "none"), ID),
                503, "no-server", 5);
        assertProblem(problems.of(new RejectedExecutionException("throttled"), ID), 503, "overloaded", 1);
        assertProblem(problems.of(new AmqpMessageReturnedException("returned",
                new ReturnedMessage(new Message(new byte[0]), 312, "NO_ROUTE", "", "rpc_queue")), ID), 503, "no-queue", 5);
        assertProblem(problems.of(new AmqpConnectException(new ConnectException("Connection refused")), ID),
                503, "broker-unavailable", 5);
    }

    @Test
    void no_reply_in_time_is_a_504_naming_the_timeout() {
        Problem timeout = problems.of(new AmqpReplyTimeoutException("timed out", new Message(new byte[0])), ID);
        assertProblem(timeout, 504, "reply-timeout", null);
        assertTrue(timeout.detail().contains("10000 ms"), timeout.detail());
    }

    @Test
    void anything_else_is_the_gateways_own_500_without_its_stack_trace() {
        Problem internal = problems.of(new IllegalStateException("a bug at io.fibonaccirpc.Something"), ID);
        assertProblem(internal, 500, "internal", null);
        assertEquals(ID, internal.correlationId());
        assertFalse(internal.detail().contains("a bug"), "the failure's own message stays in the log: " + internal.detail());
    }

    private static void assertProblem(Problem problem, int status, String type, Integer retryAfter) {
        assertEquals(status, problem.status(), problem.toString());
        assertEquals(Problem.TYPE_PREFIX + type, problem.type(), problem.toString());
        assertEquals(retryAfter, problem.retryAfter(), problem.toString());
    }
}
