package io.fibonaccirpc.fibonacci;

import java.math.BigInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FibonacciTest {

    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);

    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "1, 1",
            "2, 1",
            "30, 832040",
            "47, 2971215073",
            "92, 7540113804746346429",
            "93, 12200160415121876738",
            "1000, 43466557686937456435688527675040625802564660517371780402481729089536555417949051890403879840079255169295922593080322634775209689623239873322471161642996440906533187938298969649928516003704476137795166849228875"
    })
    void computes_exact_values(int n, String expected) {
        assertEquals(new BigInteger(expected), fibonacci.of(n));
    }

    @Test
    void fib_93_is_beyond_long() {
        assertEquals(1, fibonacci.of(93).compareTo(BigInteger.valueOf(Long.MAX_VALUE)));
    }

    @Test
    void agrees_with_the_recurrence_up_to_2000() {
        BigInteger previous = BigInteger.ZERO;
        BigInteger current = BigInteger.ONE;
        for (int n = 1; n <= 2000; n++) {
            assertEquals(current, fibonacci.of(n), "fib(" + n + ")");
            BigInteger next = previous.add(current);
            previous = current;
            current = next;
        }
    }

    @Test
    void computes_the_maximum() {
        BigInteger value = fibonacci.of(Fibonacci.DEFAULT_MAX_N);
        assertEquals(20899, value.toString().length());
        assertEquals(fibonacci.of(99_998).add(fibonacci.of(99_999)), value);
        assertEquals(lastTenDigitsByIteration(Fibonacci.DEFAULT_MAX_N), value.mod(TEN_TO_THE_TEN).longValue());
        assertEquals("2597406934", value.toString().substring(0, 10));
    }

    private static final BigInteger TEN_TO_THE_TEN = BigInteger.TEN.pow(10);

    /** fib(n) mod 10^10 by the plain recurrence: slow, simple, and independent of fast doubling. */
    private static long lastTenDigitsByIteration(int n) {
        long modulus = 10_000_000_000L;
        long previous = 0;
        long current = 1;
        for (int i = 1; i < n; i++) {
            long next = (previous + current) % modulus;
            previous = current;
            current = next;
        }
        return current;
    }

    @Test
    void refuses_one_past_the_maximum() {
        assertThrows(IllegalArgumentException.class, () -> fibonacci.of(Fibonacci.DEFAULT_MAX_N + 1));
        assertThrows(IllegalArgumentException.class, () -> fibonacci.of(-1));
    }

    @Test
    void honours_a_configured_maximum() {
        Fibonacci small = new Fibonacci(10);
        assertEquals(BigInteger.valueOf(55), small.of(10));
        assertThrows(IllegalArgumentException.class, () -> small.of(11));
    }
}
