package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.ApplicationProcess;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * A helper process of the benchmark in a JVM of its own (this JVM's class path, the jar's JVM options): it prints
 * {@code ready} when it serves, and exits when its standard input closes, so it never outlives the benchmark.
 */
final class BenchJvm {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private BenchJvm() {
    }

    /**
     * Starts {@code main} with the arguments, its output in {@code target/processes/benchmark-<name>.log};
     * returns once it has printed {@code ready}.
     */
    static Process start(String name, Class<?> main, String... arguments) throws IOException {
        Path log = Path.of("target", "processes", "benchmark-" + name + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(ApplicationProcess.JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> !process.isAlive() || Files.readString(log).contains("ready"));
        } catch (ConditionTimeoutException e) {
            // said below, with its output
        }
        if (!process.isAlive() || !Files.readString(log).contains("ready")) {
            process.destroyForcibly();
            throw new IllegalStateException("the " + name + " did not start; its output:\n" + Files.readString(log));
        }
        return process;
    }

    /** Blocks until standard input closes: the benchmark's signal to exit. */
    static void awaitEndOfInput() throws IOException {
        while (System.in.read() != -1) {
            // runs until the benchmark closes our standard input, or ends the process
        }
    }

    /** Stops the process: its standard input closes, so it exits; forcibly if it has not after a while. */
    static void stop(Process process) throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // gone already
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
