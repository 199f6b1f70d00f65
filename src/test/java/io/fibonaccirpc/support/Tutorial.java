package io.fibonaccirpc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * RabbitMQ's RPC tutorial (tutorial six) in other languages: our client and server of each, written after that
 * language's tutorial code (its declarations, callback queue, correlation ids and parsing), under
 * {@code src/test/<language>/}, run as processes of their own against the test broker. Their output goes to
 * {@code target/tutorials/}.
 * <p>
 * They share one contract. Configuration from the environment: {@code RABBITMQ_HOST}, {@code RABBITMQ_PORT},
 * {@code RABBITMQ_USERNAME}, {@code RABBITMQ_PASSWORD}, {@code RABBITMQ_VHOST}, {@code RPC_QUEUE},
 * {@code RPC_TIMEOUT} (a client's seconds per reply). A server declares the queue as its tutorial does and prints
 * a line starting with {@code ready} once it consumes. A client calls once per argument, sent as given, and
 * prints a line per call: the reply as its tutorial reads it, or {@code rpc-error <CODE> <reading>} for an error
 * reply ({@code unparseable} where the tutorial's reading fails); it exits 0 when every call got a reply, 2 on a
 * timeout, 3 on another failure.
 */
public enum Tutorial {

    /** pika; a strict reading ({@code int()}). */
    PYTHON(false),
    /** amqplib from npm; direct reply-to; {@code parseInt}. */
    JAVASCRIPT(true),
    /** amqp091-go; {@code strconv.Atoi}, strict. */
    GO(false),
    /** Bunny; {@code to_i}. */
    RUBY(true),
    /** php-amqplib; {@code intval}. */
    PHP(true),
    /** AnyEvent::RabbitMQ (Net::AMQP, as the tutorial's Net::RabbitFoot); Perl's numeric conversion. */
    PERL(true);

    /** The tutorials' declarations of the request queue (for Python: {@code RPC_DECLARE}). */
    public enum Declaration {
        /** Today's: durable, {@code x-queue-type: quorum}. */
        TODAY,
        /** Before: no arguments, non-durable classic. */
        LEGACY
    }

    private static final Path OUTPUT = Path.of("target", "tutorials");
    private static final Path GO_BUILDS = Path.of("target", "go-tutorial");
    private static final Duration SERVER_READY = Duration.ofSeconds(30);
    private static final Duration PREPARATION = Duration.ofMinutes(5);

    private final boolean lenient;
    /** The commands of the server and the client, once the language's programs are ready to run. */
    private List<List<String>> commands;

    Tutorial(boolean lenient) {
        this.lenient = lenient;
    }

    /**
     * Whether the tutorial reads a reply leniently, taking the number at the start of any text: an error reply
     * ({@code -1 <CODE>: ...}) reads as -1, where a strict reading refuses it.
     */
    public boolean readsLeniently() {
        return lenient;
    }

    /** What a client of this tutorial prints for an error reply of this code. */
    public String errorLine(String code) {
        return "rpc-error " + code + " " + (lenient ? "-1" : "unparseable");
    }

    /** What a finished client printed. */
    public record ClientRun(int exitCode, List<String> lines, String errors) {
    }

    /** Runs the client once for these n on the queue and waits (bounded) for it to exit. */
    public ClientRun runClient(String queue, Duration timeout, String... n) {
        List<String> command = new ArrayList<>(commands().get(1));
        command.addAll(List.of(n));
        Path out = outputFile(queue, "client.out");
        Path err = outputFile(queue, "client.err");
        Process process = start(command, Map.of("RPC_QUEUE", queue), out, err);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return fail(this + "'s client did not exit within " + timeout + "; it printed: " + read(out) + read(err));
            }
            return new ClientRun(process.exitValue(), read(out).lines().toList(), read(err));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the server on the queue, declared as its tutorial does today; returns once it says it consumes. */
    public Server startServer(String queue) {
        return startServer(queue, Declaration.TODAY);
    }

    /**
     * Starts the server on the queue with this declaration (another than today's: Python only); returns once it
     * says it consumes. Fails when it exits first, with what it printed. Close it to kill it.
     */
    public Server startServer(String queue, Declaration declaration) {
        if (declaration != Declaration.TODAY && this != PYTHON) {
            throw new IllegalArgumentException(this + "'s server declares the queue one way only");
        }
        Path out = outputFile(queue, "server.out");
        Process process = start(commands().get(0), Map.of("RPC_QUEUE", queue,
                "RPC_DECLARE", declaration.name().toLowerCase(Locale.ROOT)), out, out);
        Server server = new Server(process, out);
        try {
            await(this + "'s server consuming " + queue)
                    .atMost(SERVER_READY)
                    .failFast(this + "'s server exited", () -> !process.isAlive())
                    .until(() -> read(out).lines().anyMatch(line -> line.startsWith("ready")));
        } catch (RuntimeException | Error e) {
            server.close();
            throw new AssertionError(this + "'s server did not start; it printed: " + read(out), e);
        }
        return server;
    }

    /** A running tutorial server. */
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

    /** The server's and the client's command; the first time, what the language needs first (a build, packages). */
    private synchronized List<List<String>> commands() {
        if (commands == null) {
            commands = switch (this) {
                case PYTHON -> {
                    String python = python();
                    yield List.of(List.of(python, "-u", source("python/rpc_server.py")),
                            List.of(python, "-u", source("python/rpc_client.py")));
                }
                case JAVASCRIPT -> {
                    if (!Files.isDirectory(Path.of("src/test/javascript/node_modules/amqplib"))) {
                        prepare(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", "src/test/javascript"));
                    }
                    yield List.of(List.of("node", source("javascript/rpc_server.js")),
                            List.of("node", source("javascript/rpc_client.js")));
                }
                case GO -> {
                    for (String program : List.of("rpc_server", "rpc_client")) {
                        prepare(List.of("go", "build", "-trimpath", "-o", GO_BUILDS.resolve(program).toString(),
                                "./src/test/go/" + program));
                    }
                    yield List.of(List.of(GO_BUILDS.resolve("rpc_server").toAbsolutePath().toString()),
                            List.of(GO_BUILDS.resolve("rpc_client").toAbsolutePath().toString()));
                }
                case RUBY -> List.of(List.of("ruby", source("ruby/rpc_server.rb")),
                        List.of("ruby", source("ruby/rpc_client.rb")));
                case PHP -> List.of(List.of("php", source("php/rpc_server.php")),
                        List.of("php", source("php/rpc_client.php")));
                case PERL -> List.of(List.of("perl", source("perl/rpc_server.pl")),
                        List.of("perl", source("perl/rpc_client.pl")));
            };
        }
        return commands;
    }

    /** Runs a preparation step (bounded), failing the test with its output when it fails. */
    private void prepare(List<String> command) {
        Path out = outputFile(name().toLowerCase(Locale.ROOT), "prepare.out");
        // Go builds against Debian's amqp091-go package (golang-github-rabbitmq-amqp091-go-dev), without modules
        Process process = start(command, Map.of("GO111MODULE", "off", "GOPATH", "/usr/share/gocode",
                "GOCACHE", Path.of("target", "go-cache").toAbsolutePath().toString()), out, out);
        try {
            if (!process.waitFor(PREPARATION.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " failed (scripts/ensure-test-tools installs what the " + this
                        + " tutorial needs); it printed: " + read(out));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The python to run the scripts with: $PYTHON, then /usr/bin/python3, then python3 on the PATH, the first
     * that can import pika. Fails the test when none can.
     */
    private static String python() {
        Set<String> candidates = new LinkedHashSet<>();
        String configured = System.getenv("PYTHON");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("/usr/bin/python3");
        candidates.add("python3");
        for (String candidate : candidates) {
            if (importsPika(candidate)) {
                return candidate;
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

    private Process start(List<String> command, Map<String, String> environment, Path out, Path err) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(TestBroker.get().environment());
        builder.environment().putAll(environment);
        builder.redirectOutput(out.toFile());
        if (out.equals(err)) {
            builder.redirectErrorStream(true);
        } else {
            builder.redirectError(err.toFile());
        }
        try {
            return builder.start();
        } catch (IOException e) {
            return fail("cannot run " + command + " for the " + this + " tutorial (scripts/ensure-test-tools "
                    + "installs what it needs)", e);
        }
    }

    private static String source(String path) {
        return Path.of("src", "test").resolve(path).toAbsolutePath().toString();
    }

    private Path outputFile(String queue, String suffix) {
        try {
            Files.createDirectories(OUTPUT);
            return OUTPUT.resolve(queue + "." + name().toLowerCase(Locale.ROOT) + "." + suffix).toAbsolutePath();
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
