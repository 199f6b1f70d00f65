package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The profiling command works: {@code scripts/profile-gateway --profiler wall}, short, against the test broker with
 * the jar this build made, exits 0 and writes a summary with the calls answered and none failed, the CPU per call
 * of each process, the gateway's threads with their waits for a CPU, and the wall-clock profile's threads and
 * frames (the profiler fetched from Maven Central and attached to the running gateway); with {@code --https
 * --basic-auth}, every call is answered over TLS with credentials. Not a timed test.
 */
class ProfileGatewayIT {

    private static final Path SUMMARY = Path.of("target", "profile", "summary.md");
    private static final Path LOG = Path.of("target", "processes", "profile-gateway.log");
    private static final long TIMEOUT_SECONDS = 240;

    @Test
    @Timeout(TIMEOUT_SECONDS + 30)
    void the_profile_of_the_gateway_gives_its_figures_threads_and_wall_clock_profile() throws Exception {
        ScriptRun.toEnd(LOG, SUMMARY, TIMEOUT_SECONDS, "scripts/profile-gateway", "--no-build", "--profiler", "wall",
                "--warmup", "3", "--duration", "3");

        String summary = Files.readString(SUMMARY, StandardCharsets.UTF_8);
        Matcher figures = Pattern.compile("^\\| (\\d+) \\| [\\d.]+(?:us|ms|s) \\| [\\d.]+(?:us|ms|s) \\| 0 \\| ([\\d.]+) \\| ([\\d.]+) \\| "
                + "([\\d.]+|n/a) \\|$", Pattern.MULTILINE).matcher(summary);
        assertTrue(figures.find(), "no calls answered without an error, with CPU per call:\n" + summary);
        assertTrue(Long.parseLong(figures.group(1)) > 0, figures.group());
        assertTrue(Double.parseDouble(figures.group(2)) > 0, "no gateway CPU per call: " + figures.group());
        assertTrue(Pattern.compile("^\\| vert\\.x-eventloo \\| \\d+% \\| [\\d.]+ \\| \\d+% \\|$", Pattern.MULTILINE)
                .matcher(summary).find(), "no row of the gateway's event loop in the threads:\n" + summary);
        assertTrue(Pattern.compile("^\\| \\[vert\\.x-eventloop-thread-N\\] \\| \\d+ \\| \\d+% \\| \\d+% \\|$",
                Pattern.MULTILINE).matcher(summary).find(), "no event loop in the wall-clock profile:\n" + summary);
        assertTrue(summary.contains("io/fibonaccirpc/tuning/AsyncHttpConsumer"),
                "the profile's frames do not show the gateway's own code:\n" + summary);
    }

    @Test
    @Timeout(TIMEOUT_SECONDS + 30)
    void with_https_and_basic_authentication_every_call_is_answered_over_tls_with_credentials() throws Exception {
        ScriptRun.toEnd(LOG, SUMMARY, TIMEOUT_SECONDS, "scripts/profile-gateway", "--no-build", "--https",
                "--basic-auth", "--warmup", "3", "--duration", "3");

        String summary = Files.readString(SUMMARY, StandardCharsets.UTF_8);
        assertTrue(summary.contains("`scripts/profile-gateway --https --basic-auth`"), summary);
        // wrk counts every answer that is not 2xx (a 401, a refused handshake): the error column must be 0
        Matcher figures = Pattern.compile("^\\| (\\d+) \\| [\\d.]+(?:us|ms|s) \\| [\\d.]+(?:us|ms|s) \\| 0 \\| ([\\d.]+) \\|",
                Pattern.MULTILINE).matcher(summary);
        assertTrue(figures.find(), "no calls answered without an error:\n" + summary);
        assertTrue(Long.parseLong(figures.group(1)) > 0, figures.group());
    }
}
