package io.fibonaccirpc.gateway;

import io.fibonaccirpc.wire.RpcError;
import io.fibonaccirpc.wire.RpcException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a reply, without a broker: the value, or the server's error as the failure it reports. */
class RpcRepliesTest {

    private final RpcReplies replies = new RpcReplies();

    @Test
    void a_decimal_reply_is_the_value() {
        assertEquals("12200160415121876738", replies.value(null, "12200160415121876738"));
        assertEquals("0", replies.value(null, "0"));
    }

    @Test
    void an_error_reply_is_thrown_as_the_servers_error_with_its_message() {
        RpcException failure = assertThrows(RpcException.class,
                () -> replies.value("OUT_OF_RANGE", "-1 OUT_OF_RANGE: n must be at most 100000, was 100001"));

        assertEquals(RpcError.OUT_OF_RANGE, failure.getError());
        assertTrue(failure.isRemote(), "a server's refusal, not the gateway's own check");
        assertEquals("n must be at most 100000, was 100001", failure.getMessage());
    }

    @Test
    void an_error_reply_with_no_body_says_its_code_and_an_unknown_code_is_a_server_failure() {
        RpcException blank = assertThrows(RpcException.class, () -> replies.value("INVALID_ARGUMENT", " "));
        assertEquals(RpcError.INVALID_ARGUMENT, blank.getError());
        assertEquals("the server replied INVALID_ARGUMENT", blank.getMessage());

        RpcException unknown = assertThrows(RpcException.class, () -> replies.value("DISK_FULL", "no space"));
        assertEquals(RpcError.INTERNAL, unknown.getError());
    }

    @Test
    void a_reply_that_is_not_a_decimal_value_is_a_bad_reply_quoted_short() {
        for (String body : new String[] { "", "-5", "55\n", "fifty-five", "5.5" }) {
            RpcException failure = assertThrows(RpcException.class, () -> replies.value(null, body), body);
            assertEquals(RpcError.BAD_REPLY, failure.getError(), body);
        }
        RpcException none = assertThrows(RpcException.class, () -> replies.value(null, null));
        assertTrue(none.getMessage().endsWith("no body"), none.getMessage());

        RpcException longReply = assertThrows(RpcException.class, () -> replies.value(null, "x".repeat(10_000)));
        assertTrue(longReply.getMessage().length() < 300, "quoted cut short: " + longReply.getMessage().length());
    }
}
