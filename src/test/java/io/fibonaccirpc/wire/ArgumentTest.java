package io.fibonaccirpc.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** n as the wire carries it: decimal text, read once on each side. */
class ArgumentTest {

    private final Argument argument = new Argument(100_000);

    @ParameterizedTest
    @CsvSource({ "30, 30", "' 30\n', 30", "0030, 30", "0, 0", "000, 0", "100000, 100000" })
    void reads_decimal_arguments(String text, int expected) {
        assertEquals(expected, argument.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " ", "abc", "3.5", "1e3", "+5", "0x1F", "٣", "30 31", "--1" })
    void refuses_text_that_is_not_a_decimal_integer(String text) {
        RpcException e = assertThrows(RpcException.class, () -> argument.parse(text));
        assertEquals(RpcError.INVALID_ARGUMENT, e.getError());
    }

    @ParameterizedTest
    @ValueSource(strings = { "-1", "100001", "2147483648", "99999999999999999999999999" })
    void refuses_numbers_out_of_range(String text) {
        RpcException e = assertThrows(RpcException.class, () -> argument.parse(text));
        assertEquals(RpcError.OUT_OF_RANGE, e.getError());
    }

    @Test
    void honours_a_configured_maximum() {
        Argument small = new Argument(10);
        assertEquals(10, small.parse("10"));
        assertEquals(RpcError.OUT_OF_RANGE, assertThrows(RpcException.class, () -> small.parse("11")).getError());
    }
}
