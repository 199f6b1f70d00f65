package io.fibonaccirpc.wire;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.gateway.RpcReplies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Error messages quote a bad input as printable text, cut short. */
class InputTextTest {

    @Test
    void control_and_unprintable_characters_are_escaped() {
        assertEquals("a\\u0000b\\u0007\\u001b[31m\\n\\t\\\\ \\u200b\\u0085", InputText.quote("a\u0000b\u0007\u001b[31m\n\t\\ \u200b\u0085", 100));
    }

    @Test
    void printable_text_is_quoted_as_it_is() {
        assertEquals("abc -1 é 日本", InputText.quote("abc -1 é 日本", 100));
    }

    @Test
    void a_long_text_is_cut_with_its_length_said() {
        assertEquals("aaaa... (10 characters)", InputText.quote("a".repeat(10), 4));
    }

    @Test
    void a_bad_argument_with_control_bytes_is_quoted_printable_in_the_error() {
        String serialized = "\u00ac\u00ed\u0000\u0005t\u0000\u000210";
        RpcException refused = assertThrows(RpcException.class,
                () -> new Argument(Fibonacci.DEFAULT_MAX_N).parse(serialized));
        assertTrue(refused.getMessage().chars().noneMatch(Character::isISOControl), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("was \u00ac\u00ed\\u0000\\u0005t\\u0000\\u000210"), refused.getMessage());
    }

    @Test
    void a_reply_that_is_not_a_value_is_quoted_printable_and_short_in_the_gateways_detail() {
        RpcException bad = assertThrows(RpcException.class,
                () -> new RpcReplies().value(null, "\u0000\u0001" + "x".repeat(500)));
        assertTrue(bad.getMessage().chars().noneMatch(Character::isISOControl), bad.getMessage());
        assertTrue(bad.getMessage().length() < 160, bad.getMessage());
        assertTrue(bad.getMessage().contains("\\u0000\\u0001xxx"), bad.getMessage());
    }
}
