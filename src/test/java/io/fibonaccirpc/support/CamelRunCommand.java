package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@code camel run} command of README.md (its section "Run the routes with `camel run`"), run from the project
 * root as a user runs it, with the file list as the shell expands it. It runs on camel run's runtime in a
 * {@code java} process of its own ({@link CamelRunLauncher}), on the class path Maven writes to the file named by
 * the system property {@code camel-run.classpath}: camel-kamelet-main, camel-java-joor-dsl and the application's
 * dependencies, not the application's classes, which it compiles from the listed sources.
 */
public final class CamelRunCommand {

    private static final Path README = Path.of("README.md");
    private static final String SECTION = "## Run the routes with `camel run`";
    private static final String COMMAND = "camel run ";

    private final List<String> files;

    private CamelRunCommand(List<String> files) {
        this.files = files;
    }

    /** The command in README.md; fails when the section has no such command, or a file pattern matches nothing. */
    public static CamelRunCommand fromReadme() {
        String command = commandLine(readme());
        List<String> files = new ArrayList<>();
        for (String word : command.substring(COMMAND.length()).trim().split("\\s+")) {
            if (word.startsWith("-")) {
                throw new IllegalStateException("README's camel run command has the option " + word
                        + "; CamelRunCommand runs a list of files only: " + command);
            }
            files.addAll(expand(word));
        }
        return new CamelRunCommand(List.copyOf(files));
    }

    /** The files the command names, each pattern expanded as the shell does, relative to the project root. */
    public List<String> files() {
        return files;
    }

    /** Starts the command as {@link ApplicationProcess#start} starts the jar, with these environment variables. */
    public ApplicationProcess start(String name, Map<String, String> environment) {
        List<String> arguments = new ArrayList<>(List.of(
                // camel run sets up its own logging; without a configuration log4j would log errors only
                "-Dorg.apache.logging.log4j.level=INFO",
                // the local repository Maven filled, where KameletMain looks for camel-dependencies' pom
                "-Dmaven.repo.local=" + System.getProperty("camel-run.maven-repository", ""),
                "-cp", classpath(),
                CamelRunLauncher.class.getName()));
        arguments.addAll(files);
        return ApplicationProcess.startJava(name, arguments, environment);
    }

    private static List<String> readme() {
        try {
            return Files.readAllLines(README, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + README.toAbsolutePath(), e);
        }
    }

    /** The first shell code block of the section, its continuation lines (ending in a backslash) joined. */
    private static String commandLine(List<String> readme) {
        int section = readme.indexOf(SECTION);
        if (section < 0) {
            throw new IllegalStateException("README.md has no section \"" + SECTION + "\"");
        }
        int start = section + 1;
        while (start < readme.size() && !readme.get(start).startsWith("```")) {
            start++;
        }
        StringBuilder command = new StringBuilder();
        for (int i = start + 1; i < readme.size() && !readme.get(i).startsWith("```"); i++) {
            String line = readme.get(i).strip();
            boolean continued = line.endsWith("\\");
            command.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
            if (!continued) {
                break;
            }
        }
        String line = command.toString().strip();
        if (!line.startsWith(COMMAND)) {
            throw new IllegalStateException("the section \"" + SECTION + "\" of README.md does not begin its first "
                    + "code block with a camel run command: " + line);
        }
        return line;
    }

    /** A word of the command as the shell expands it: a pattern in its last part becomes the matching files. */
    private static List<String> expand(String word) {
        int slash = word.lastIndexOf('/');
        String pattern = word.substring(slash + 1);
        if (!pattern.contains("*") && !pattern.contains("?") && !pattern.contains("[")) {
            return List.of(word);
        }
        String directory = slash < 0 ? "" : word.substring(0, slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> entries = Files.list(Path.of(directory.isEmpty() ? "." : directory))) {
            List<String> files = entries.filter(Files::isRegularFile)
                    .map(path -> path.getFileName().toString())
                    .filter(name -> matcher.matches(Path.of(name)))
                    .sorted()
                    .map(name -> directory + name)
                    .toList();
            if (files.isEmpty()) {
                throw new IllegalStateException("README's camel run command names " + word + ", which matches no file");
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the files of " + word, e);
        }
    }

    /** The class path Maven built for camel run's runtime, and the test classes for {@link CamelRunLauncher}. */
    private static String classpath() {
        String property = System.getProperty("camel-run.classpath");
        if (property == null || property.isBlank()) {
            throw new IllegalStateException("the system property camel-run.classpath is not set: run the tests with "
                    + "`./mvnw verify` (or `./mvnw test`), which writes the class path and points the tests at it");
        }
        try {
            String dependencies = Files.readString(Path.of(property), StandardCharsets.UTF_8).strip();
            Path launcher = Path.of(CamelRunLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return launcher + java.io.File.pathSeparator + dependencies;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the class path file " + property, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
