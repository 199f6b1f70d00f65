package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code camel run} command of README.md (the first code block of its section "Run the routes with `camel
 * run`"), as a user copies it: one line, its continuation lines (ending in a backslash) joined, for the shell to
 * run as it is, file patterns and all ({@link CamelCli#run}).
 */
public final class CamelRunCommand {

    private static final Path README = Path.of("README.md");
    private static final String SECTION = "## Run the routes with `camel run`";
    private static final String COMMAND = "camel run ";

    private CamelRunCommand() {
    }

    /** The command in README.md; fails when the section has no such command. */
    public static String fromReadme() {
        List<String> readme;
        try {
            readme = Files.readAllLines(README, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + README.toAbsolutePath(), e);
        }
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
        String line = command.toString().strip().replaceAll("\\s+", " ");
        if (!line.startsWith(COMMAND)) {
            throw new IllegalStateException("the section \"" + SECTION + "\" of README.md does not begin its first "
                    + "code block with a camel run command: " + line);
        }
        return line;
    }
}
