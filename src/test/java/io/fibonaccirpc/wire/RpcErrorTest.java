package io.fibonaccirpc.wire;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fibonaccirpc.gateway.RpcReplies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The body of an error reply: no client can take it for a Fibonacci number, however it reads the body. */
class RpcErrorTest {

    /** How Ruby's to_i, PHP's intval, Perl and JavaScript's parseInt read a text: its leading integer, else 0. */
    private static final Pattern LEADING_INTEGER = Pattern.compile("^\\s*([-+]?\\d+)");

    @Test
    void an_error_reply_reads_as_minus_one_to_a_lenient_parser_and_as_no_number_to_a_strict_one() {
        for (RpcError error : RpcError.values()) {
            String body = error.replyBody("n must be a decimal integer from 0 to 100000, was 12abc");
            Matcher lenient = LEADING_INTEGER.matcher(body);
            assertTrue(lenient.find(), body);
            assertEquals(-1, Long.parseLong(lenient.group(1)), "never a Fibonacci number: " + body);
            assertThrows(NumberFormatException.class, () -> Long.parseLong(body.strip()), body);
            assertEquals("-1 " + error.name() + ": n must be a decimal integer from 0 to 100000, was 12abc", body);
        }
    }

    @Test
    void the_gateway_reads_the_message_of_an_error_reply_without_its_prefix() {
        RpcException refused = assertThrows(RpcException.class, () -> new RpcReplies().value("OUT_OF_RANGE",
                RpcError.OUT_OF_RANGE.replyBody("n must be from 0 to 1000, was 5000")));
        assertEquals("n must be from 0 to 1000, was 5000", refused.getMessage());
        assertEquals(RpcError.OUT_OF_RANGE, refused.getError());
        // another server's error reply, in its own words
        RpcException foreign = assertThrows(RpcException.class, () -> new RpcReplies().value("INTERNAL", "it broke"));
        assertEquals("it broke", foreign.getMessage());
    }
}
