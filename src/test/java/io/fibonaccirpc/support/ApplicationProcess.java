package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The packaged application ({@code java -jar}, the jar named by the system property {@code application.jar}),
 * or the routes on another runtime ({@link #startCommand}), running as a separate OS process, with the environment
 * a test gives it, its own HTTP port and its output in
 * {@code target/processes/<name>.log}. {@link #start} returns once Camel has started and the HTTP port
 * answers; {@link #close} stops it the way an operator would (SIGTERM), forcibly only if that takes too long.
 */
public final class ApplicationProcess implements AutoCloseable {

    /**
     * The JVM options every process gets: those scripts/run gives the jar (read from its {@code exec java} line, so
     * the tests follow when it changes), and a heap of at most 256 MB, a test's own limit for the several JVMs a test
     * starts on one machine.
     */
    public static final List<String> JVM_OPTIONS = jvmOptions();

    // generous: camel run compiles the .java files first, which took 40 s on a loaded 2-core machine
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(150);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern CAMEL_STARTED = Pattern.compile("Apache Camel \\S+ \\(.*\\) started in ");
    private static final int LOG_TAIL_LINES = 40;
    /** Inherited variables that would configure the application behind the test's back. */
    private static final Pattern APPLICATION_VARIABLE = Pattern.compile("(RABBITMQ|HTTP|RPC|FIBONACCI|CAMEL|ROUTES)_.*");

    private final String name;
    private final Process process;
    private final Path log;
    private final int httpPort;
    private final Thread killOnExit;

    private ApplicationProcess(String name, Process process, Path log, int httpPort) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
        this.killOnExit = new Thread(process::destroyForcibly, "kill " + name);
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts the application with these environment variables on top of the test broker's, and HTTP_HOST
     * 127.0.0.1 and a free HTTP_PORT unless given; waits until it is ready.
     *
     * @param name        names the process in messages and its log file; unique among running processes
     * @param environment RPC_ROLE, RPC_QUEUE and the like
     */
    public static ApplicationProcess start(String name, Map<String, String> environment) {
        return ready(launch(name, environment));
    }

    /**
     * Launches the application as {@link #start} does, but returns at once, before it is ready: for a test that
     * watches the start-up itself. {@link #awaitStarted} waits for it.
     */
    public static ApplicationProcess launchUnready(String name, Map<String, String> environment) {
        return launch(name, environment);
    }

    /** Waits until Camel has started and the HTTP port answers, as {@link #start} does. */
    public void awaitStarted() {
        awaitReady();
    }

    /** Starts several processes at once (their start-ups overlap), and waits until all are ready. */
    public static List<ApplicationProcess> startAll(Map<String, Map<String, String>> environments) {
        List<ApplicationProcess> applications = new ArrayList<>();
        try {
            environments.forEach((name, environment) -> applications.add(launch(name, environment)));
            applications.forEach(ApplicationProcess::awaitReady);
        } catch (RuntimeException | Error e) {
            closeAll(applications);
            throw e;
        }
        return applications;
    }

    /**
     * The end of a test class that shared one process on a queue of its own: stops it, if it started, and deletes the
     * queue and its dead-letter queue.
     */
    public static void closeAndDeleteQueues(ApplicationProcess application, String queue) {
        if (application != null) {
            application.close();
        }
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    /** Stops these processes at once: all get SIGTERM first, then each is awaited as {@link #close} does. */
    public static void closeAll(Collection<ApplicationProcess> applications) {
        applications.forEach(application -> application.process.destroy());
        applications.forEach(ApplicationProcess::close);
    }

    /**
     * Starts this command (not a JVM of the tests' choosing: a script, say) in this working directory, with the
     * environment and readiness of {@link #start}.
     */
    public static ApplicationProcess startCommand(String name, List<String> command, Path directory,
                                                  Map<String, String> environment) {
        return ready(launch(name, command, directory, environment));
    }

    private static ApplicationProcess ready(ApplicationProcess application) {
        try {
            application.awaitReady();
        } catch (RuntimeException | Error e) {
            application.close();
            throw e;
        }
        return application;
    }

    private static ApplicationProcess launch(String name, Map<String, String> environment) {
        return launch(name, javaCommand(List.of("-jar", applicationJar().toString())), null, environment);
    }

    /** The options of scripts/run's {@code exec java ... -jar} line, before JAVA_OPTS; the test's heap limit. */
    private static List<String> jvmOptions() {
        Path script = Path.of("scripts", "run");
        try {
            String exec = Files.readAllLines(script, StandardCharsets.UTF_8).stream()
                    .filter(line -> line.startsWith("exec java ")).findFirst()
                    .orElseThrow(() -> new IllegalStateException(script + " has no `exec java` line"));
            List<String> options = new ArrayList<>(List.of("-Xmx256m"));
            for (String word : exec.substring("exec java ".length()).split("\\s+")) {
                if (word.startsWith("${") || word.equals("-jar")) {
                    break;
                }
                options.add(word);
            }
            return List.copyOf(options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> javaCommand(List<String> javaArguments) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM_OPTIONS);
        command.addAll(javaArguments);
        return command;
    }

    private static ApplicationProcess launch(String name, List<String> command, Path directory,
                                             Map<String, String> environment) {
        Map<String, String> variables = new LinkedHashMap<>(TestBroker.get().environment());
        variables.put("HTTP_HOST", "127.0.0.1");
        variables.put("HTTP_PORT", Integer.toString(RunningApplication.freePort()));
        variables.putAll(environment);
        int httpPort = Integer.parseInt(variables.get("HTTP_PORT"));
        Path log = Path.of("target", "processes", name + ".log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory == null ? null : directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(key -> APPLICATION_VARIABLE.matcher(key).matches());
        builder.environment().putAll(variables);
        try {
            Files.createDirectories(log.getParent());
            return new ApplicationProcess(name, builder.start(), log, httpPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", builder.command()), e);
        }
    }

    private static Path applicationJar() {
        String property = System.getProperty("application.jar");
        if (property == null || property.isBlank()) {
            throw new IllegalStateException("the system property application.jar is not set: run the end-to-end "
                    + "tests with `./mvnw verify`, which packages the jar first and points failsafe at it");
        }
        Path jar = Path.of(property);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("application.jar names " + jar.toAbsolutePath()
                    + ", which does not exist: run `./mvnw package` first");
        }
        return jar;
    }

    private void awaitReady() {
        try {
            await(name + " started").atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited with status " + process.exitValue()
                                    + " while starting; the end of " + log + ":\n" + logTail());
                        }
                        return camelStarted() && httpPortAnswers();
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(name + " was not ready within " + STARTUP_TIMEOUT.toSeconds()
                    + " s; the end of " + log + ":\n" + logTail(), e);
        }
    }

    private boolean camelStarted() throws IOException {
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.anyMatch(line -> CAMEL_STARTED.matcher(line).find());
        }
    }

    private boolean httpPortAnswers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", httpPort), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of the process's output, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    public String name() {
        return name;
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public URI uri(String path) {
        return baseUri().resolve(path);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status of the process, once it has exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** The OS process, for tests that pause or kill it as a fault ({@code destroyForcibly()} is SIGKILL). */
    public ProcessHandle processHandle() {
        return process.toHandle();
    }

    /** Sends the process this signal ({@code STOP}, {@code CONT}...) with {@code kill}; fails when kill fails. */
    public void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + this + " failed");
        }
    }

    /** Stops the process with SIGTERM (Camel shuts down gracefully), forcibly if it has not exited in time. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException e) {
                // the test JVM is exiting: the hook runs anyway
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", " + baseUri() + ")";
    }
}
