package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fairness measurement works: {@code scripts/fairness}, short, against the test broker with the jar this build
 * made, exits 0 and writes its summary; and what it counts, not how fast: under a flood of more connections than the
 * gateways take calls in flight, the steady caller of the gateway with a limit per caller got no answer but 200 and
 * the flood got 429s and no 503, while on the gateway without one the flood ran into the gateway's own bound (503).
 * Not a timed test: no latency is asserted.
 */
class FairnessIT {

    private static final Path SUMMARY = Path.of("target", "fairness", "summary.md");
    private static final Path LOG = Path.of("target", "processes", "fairness.log");
    private static final long TIMEOUT_SECONDS = 240;

    @Test
    @Timeout(TIMEOUT_SECONDS + 30)
    void a_flooding_caller_gets_429s_and_the_steady_caller_only_200s_where_callers_are_limited() throws Exception {
        ScriptRun.toEnd(LOG, SUMMARY, TIMEOUT_SECONDS, "scripts/fairness", "--no-build", "--rounds", "1",
                "--warmup", "3", "--duration", "4", "--flood-connections", "100", "--max-in-flight", "50",
                "--caller-max-in-flight", "4");

        String summary = Files.readString(SUMMARY, StandardCharsets.UTF_8);
        // | gateway | p99 alone | p99 under the flood | ratio | steady not 200 | flood 429 | flood 503 |
        Pattern medians = Pattern.compile("^\\| (limited|unlimited) \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| ([\\d.]+) \\| "
                + "([\\d.]+) \\| ([\\d.]+) \\|$", Pattern.MULTILINE);
        Matcher limited = row(medians, summary, "limited");
        assertEquals(0.0, Double.parseDouble(limited.group(2)), "the steady caller got answers other than 200:\n" + summary);
        assertTrue(Double.parseDouble(limited.group(3)) > 0, "the flood was never refused 429:\n" + summary);
        assertEquals(0.0, Double.parseDouble(limited.group(4)), "the gateway's own bound refused calls:\n" + summary);
        Matcher unlimited = row(medians, summary, "unlimited");
        assertEquals(0.0, Double.parseDouble(unlimited.group(3)), "429s without a limit per caller:\n" + summary);
        assertTrue(Double.parseDouble(unlimited.group(4)) > 0, "the flood never reached the gateway's bound:\n" + summary);
    }

    private static Matcher row(Pattern medians, String summary, String gateway) {
        Matcher row = medians.matcher(summary);
        while (row.find()) {
            if (row.group(1).equals(gateway)) {
                return row;
            }
        }
        throw new AssertionError("no median row of the " + gateway + " gateway:\n" + summary);
    }
}
