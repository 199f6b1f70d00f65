package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The machine's own tools the tests run (openssl, keytool): with no input, their output, within a minute. */
public final class Tools {

    private Tools() {
    }

    /** Runs the command in this directory (null: the tests'); its output, whatever its exit status. */
    public static String output(Path directory, List<String> command) {
        return run(directory, command, false);
    }

    /** Runs the command in this directory (null: the tests'); fails unless it exits 0. */
    public static void run(Path directory, List<String> command) {
        run(directory, command, true);
    }

    private static String run(Path directory, List<String> command, boolean mustSucceed) {
        try {
            Process process = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile())
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end: " + output);
            }
            if (mustSucceed && process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
