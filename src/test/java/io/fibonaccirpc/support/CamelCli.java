package io.fibonaccirpc.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Camel JBang's CLI as a user runs it: {@code scripts/camel}, which starts camel-jbang-core's own entry point
 * ({@code CamelJBangMain.run}, what the JBang-installed {@code camel} calls) in a JVM of its own, on the class path
 * of camel-jbang-core alone at the pom's Camel version, downloads on. A command line is given to bash as a user
 * types it: bash finds {@code camel} on the PATH (scripts/) and expands the file patterns.
 */
public final class CamelCli {

    private static final Path SCRIPTS = Path.of("scripts").toAbsolutePath();
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

    private CamelCli() {
    }

    /** Runs {@code camel} with these arguments to its end and returns what it printed; fails unless it exits 0. */
    public static String call(String... arguments) {
        List<String> command = new ArrayList<>(List.of(SCRIPTS.resolve("camel").toString()));
        command.addAll(Arrays.asList(arguments));
        try {
            Path output = Files.createTempFile("camel-cli", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                if (!process.waitFor(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not end within "
                            + CALL_TIMEOUT.toSeconds() + " s: " + Files.readString(output, StandardCharsets.UTF_8));
                }
                String printed = Files.readString(output, StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    throw new AssertionError(String.join(" ", command) + " exited with " + process.exitValue()
                            + ": " + printed);
                }
                return printed;
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts this command line (the README's {@code camel run} command, say) with bash in this directory, on a PATH
     * where {@code camel} is scripts/camel, with these environment variables on top of {@link ApplicationProcess}'s;
     * returns once Camel has started and the HTTP port answers.
     */
    public static ApplicationProcess run(String name, String commandLine, Path directory,
                                         Map<String, String> environment) {
        Map<String, String> variables = new LinkedHashMap<>(environment);
        variables.put("PATH", SCRIPTS + File.pathSeparator + System.getenv("PATH"));
        return ApplicationProcess.startCommand(name, List.of("bash", "-c", "exec " + commandLine), directory,
                variables);
    }

    /** The CLI's own class path, as scripts/camel resolved it for this Camel version (after a first call). */
    public static List<Path> classPath(String camelVersion) {
        Path file = SCRIPTS.resolveSibling("target").resolve("camel-cli").resolve("classpath-" + camelVersion + ".txt");
        try {
            return Arrays.stream(Files.readString(file, StandardCharsets.UTF_8).strip().split(File.pathSeparator))
                    .map(Path::of).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("scripts/camel left no class path in " + file, e);
        }
    }
}
