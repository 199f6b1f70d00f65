package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The RabbitMQ RPC tutorial's Python client and server ({@code src/test/python}), run as separate processes
 * against the test broker with a python that can import pika. Their output goes to
 * {@code target/python-tutorial/}.
 */
public final class PythonTutorial {

    private static final Path SCRIPTS = Path.of("src", "test", "python");
    private static final Path OUTPUT = Path.of("target", "python-tutorial");
    private static final Duration SERVER_READY = Duration.ofSeconds(20);

    private final String python;

    private PythonTutorial(String python) {
        this.python = python;
    }

    /**
     * The python to run the scripts with: $PYTHON, then /usr/bin/python3, then python3 on the PATH, the first
     * that can import pika. Fails the test when none can.
     */
    public static PythonTutorial locate() {
        Set<String> candidates = new LinkedHashSet<>();
        String configured = System.getenv("PYTHON");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("/usr/bin/python3");
        candidates.add("python3");
        for (String candidate : candidates) {
            if (importsPika(candidate)) {
                return new PythonTutorial(candidate);
            }
        }
        return fail("no python that can import pika: tried " + candidates + ". Install python3-pika "
                + "(apt-get install python3-pika, or pip install pika) or set PYTHON to a python that has it");
    }

    private static boolean importsPika(String python) {
        try {
            Process process = new ProcessBuilder(python, "-c", "import pika")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What a finished client printed. */
    public record ClientRun(int exitCode, List<String> lines, String errors) {
    }

    /** Runs rpc_client.py once for these n on the queue and waits (bounded) for it to exit. */
    public ClientRun runClient(String queue, Duration timeout, String... n) {
        List<String> command = new ArrayList<>(List.of(python, "-u", script("rpc_client.py"), "--queue", queue));
        command.addAll(List.of(n));
        Path out = outputFile(queue, "client.out");
        Path err = outputFile(queue, "client.err");
        Process process = start(command, out, err);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return fail("rpc_client.py did not exit within " + timeout + "; it printed: " + read(out) + read(err));
            }
            return new ClientRun(process.exitValue(), read(out).lines().toList(), read(err));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The tutorial's declarations of the request queue (rpc_server.py --declare). */
    public enum Declaration {
        /** Today's: durable, {@code x-queue-type: quorum}. */
        TODAY,
        /** Before: no arguments, non-durable classic. */
        LEGACY
    }

    /** Starts rpc_server.py on the queue, declared as today; returns once it says it consumes. */
    public Server startServer(String queue) {
        return startServer(queue, Declaration.TODAY);
    }

    /**
     * Starts rpc_server.py on the queue with this declaration; returns once it says it consumes. Close it
     * to kill it.
     */
    public Server startServer(String queue, Declaration declaration) {
        Path out = outputFile(queue, "server.out");
        Process process = start(List.of(python, "-u", script("rpc_server.py"), "--queue", queue,
                "--declare", declaration.name().toLowerCase(java.util.Locale.ROOT)), out, out);
        Server server = new Server(process, out);
        try {
            await("the tutorial server consuming " + queue)
                    .atMost(SERVER_READY)
                    .failFast("rpc_server.py exited", () -> !process.isAlive())
                    .until(() -> read(out).lines().anyMatch(line -> line.startsWith("ready")));
        } catch (RuntimeException | Error e) {
            server.close();
            throw new AssertionError("the tutorial server did not start; it printed: " + read(out), e);
        }
        return server;
    }

    /** A running rpc_server.py. */
    public static final class Server implements AutoCloseable {

        private final Process process;
        private final Path output;

        private Server(Process process, Path output) {
            this.process = process;
            this.output = output;
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public String output() {
            return read(output);
        }

        /** Kills the server and waits (bounded) for it to be gone. */
        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Process start(List<String> command, Path out, Path err) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(TestBroker.get().environment());
        builder.redirectOutput(out.toFile());
        if (out.equals(err)) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(err.toFile());
        }
        try {
            return builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        }
    }

    private static String script(String name) {
        return SCRIPTS.resolve(name).toAbsolutePath().toString();
    }

    private static Path outputFile(String queue, String suffix) {
        try {
            Files.createDirectories(OUTPUT);
            return OUTPUT.resolve(queue + "." + suffix).toAbsolutePath();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
