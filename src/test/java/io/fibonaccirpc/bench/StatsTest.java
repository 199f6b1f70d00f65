package io.fibonaccirpc.bench;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsTest {

    @Test
    void a_percentile_is_the_nearest_rank() {
        long[] sorted = new long[100];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = i + 1; // 1..100
        }
        assertEquals(50, Stats.percentile(sorted, 100, 0.50));
        assertEquals(99, Stats.percentile(sorted, 100, 0.99));
        assertEquals(100, Stats.percentile(sorted, 100, 1.0));
        assertEquals(1, Stats.percentile(sorted, 1, 0.99));
        assertEquals(-1, Stats.percentile(sorted, 0, 0.50));
    }

    @Test
    void the_median_of_an_even_count_is_the_mean_of_the_middle_two_and_missing_figures_are_left_out() {
        assertEquals(3.0, Stats.median(List.of(5.0, 1.0, 3.0)), 1e-9);
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 2.0, 3.0)), 1e-9);
        assertEquals(2.0, Stats.median(List.of(Double.NaN, 1.0, 3.0)), 1e-9);
        assertTrue(Double.isNaN(Stats.median(List.of())));
        assertEquals(2.0, Stats.medianNanos(new long[] {3, 1, 2}), 1e-9);
    }
}
