package io.fibonaccirpc.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP load generator: {@code wrk --latency} with one thread (it never takes more than one core from the
 * gateway), a number of connections, each sending its next request when the last is answered. wrk's CPU is
 * read by the shell that runs it: after wrk exits, the shell's cutime + cstime are wrk's utime + stime.
 */
final class Wrk {

    /** wrk's figures for one run. */
    record Result(long requests, double seconds, long non2xx, long socketErrors, double p50Millis,
            double p99Millis, double cpuPercent) {

        Run run() {
            return new Run((requests - non2xx) / seconds, p50Millis, p99Millis, non2xx + socketErrors,
                    Map.of(Role.CALLER, cpuPercent));
        }
    }

    private static final String SHELL = """
            wrk "$@"; status=$?
            read -r stat < /proc/$$/stat
            set -- ${stat##*) }
            echo "wrk cpu ticks: $(( ${14} + ${15} ))"
            exit $status
            """;
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ([\\d.]+\\w+),");
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([\\d.]+\\w+)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern CPU_TICKS = Pattern.compile("wrk cpu ticks: (\\d+)");
    private static final Pattern TIME = Pattern.compile("([\\d.]+)(us|ms|s|m|h)");

    private Wrk() {
    }

    /** wrk's first line of {@code --version}, or why there is none. */
    static String version() {
        try {
            Process wrk = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
            String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            wrk.waitFor(5, TimeUnit.SECONDS);
            return output.lines().findFirst().orElse("wrk (no version)").replaceAll("\\s+Copyright.*", "");
        } catch (IOException e) {
            return "wrk not found: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "wrk (interrupted)";
        }
    }

    /**
     * Runs wrk for whole seconds (at least one) against the URL with this many connections.
     *
     * @param timeout wrk's own per-request timeout: a call slower than that is a socket error
     */
    static Result run(URI url, int connections, Duration duration, Duration timeout)
            throws IOException, InterruptedException {
        long seconds = Math.max(1, (duration.toMillis() + 999) / 1000);
        List<String> command = List.of("bash", "-c", SHELL, "wrk", "--threads", "1",
                "--connections", Integer.toString(connections), "--duration", seconds + "s",
                "--timeout", timeout.toSeconds() + "s", "--latency", url.toString());
        Process wrk = new ProcessBuilder(command).redirectErrorStream(true).start();
        long started = System.nanoTime();
        byte[] bytes;
        try (var output = wrk.getInputStream()) {
            bytes = output.readAllBytes(); // ends when wrk (and the shell) exit
        }
        if (!wrk.waitFor(seconds + 30, TimeUnit.SECONDS)) {
            wrk.destroyForcibly();
            throw new IllegalStateException("wrk did not finish: " + command);
        }
        long elapsed = System.nanoTime() - started;
        String output = new String(bytes, StandardCharsets.UTF_8);
        if (wrk.exitValue() != 0) {
            throw new IllegalStateException("wrk failed (status " + wrk.exitValue() + "): " + output);
        }
        return parse(output, elapsed);
    }

    /** wrk's report (and the shell's line with wrk's CPU ticks), over {@code elapsedNanos} of wall time. */
    static Result parse(String output, long elapsedNanos) {
        Matcher requests = find(REQUESTS, output);
        double p50 = -1;
        double p99 = -1;
        Matcher percentile = PERCENTILE.matcher(output);
        while (percentile.find()) {
            if (percentile.group(1).equals("50")) {
                p50 = millis(percentile.group(2));
            } else {
                p99 = millis(percentile.group(2));
            }
        }
        Matcher non2xx = NON_2XX.matcher(output);
        Matcher socketErrors = SOCKET_ERRORS.matcher(output);
        long socket = 0;
        if (socketErrors.find()) {
            for (int group = 1; group <= 4; group++) {
                socket += Long.parseLong(socketErrors.group(group));
            }
        }
        long ticks = Long.parseLong(find(CPU_TICKS, output).group(1));
        return new Result(Long.parseLong(requests.group(1)), millis(requests.group(2)) / 1000,
                non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, socket, p50, p99,
                ProcessCpu.percentOfOneCore(ticks, elapsedNanos));
    }

    private static Matcher find(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("unexpected wrk output (no " + pattern + "):\n" + output);
        }
        return matcher;
    }

    /** wrk's time ("196.00us", "1.80ms", "5.00s", "1.00m") in milliseconds. */
    static double millis(String time) {
        Matcher matcher = TIME.matcher(time);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a wrk time: " + time);
        }
        double value = Double.parseDouble(matcher.group(1));
        return switch (matcher.group(2)) {
            case "us" -> value / 1000;
            case "ms" -> value;
            case "s" -> value * 1000;
            case "m" -> value * 60_000;
            default -> value * 3_600_000;
        };
    }
}
