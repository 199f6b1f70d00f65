package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.TestBroker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs one of the project's measuring scripts from a test, as a user would, against the test broker. */
final class ScriptRun {

    private ScriptRun() {
    }

    /**
     * Runs the command from the project's folder with the test broker's environment and this build's classes (for
     * the benchmark's own JVM), its output into the log; it must exit 0 within the timeout. The output file it is
     * to write is deleted first.
     */
    static void toEnd(Path log, Path output, long timeoutSeconds, String... command) throws Exception {
        Files.deleteIfExists(output);
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.putAll(TestBroker.get().environment());
        environment.put("BENCHMARK_CLASSPATH", testClassPath());
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS),
                    String.join(" ", command) + " did not finish in " + timeoutSeconds + " s; see " + log);
        } finally {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed; the end of " + log + ":\n"
                + tail(log));
    }

    /** This JVM's class path (failsafe's, with the test classes). */
    private static String testClassPath() {
        String classPath = System.getProperty("surefire.test.class.path");
        return classPath == null || classPath.isBlank() ? System.getProperty("java.class.path") : classPath;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (Exception e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
