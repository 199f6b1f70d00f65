package io.fibonaccirpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * docs/readme-claims.md lists each promise of the README with the tests that prove it. Every test it names exists
 * (a {@code @Test} method of that name in that class), every promise names at least one, and every row of the
 * README's error and fault tables has its promise in the list, and every variable of its configuration table a
 * test that sets it for the packaged jar.
 */
class ReadmeClaimsTest {

    private static final Path CLAIMS = Path.of("docs", "readme-claims.md");
    private static final Path ERRORS = Path.of("docs", "errors.md");
    private static final Path FAULTS = Path.of("docs", "faults.md");
    private static final Path README = Path.of("README.md");
    private static final Path TEST_SOURCES = Path.of("src", "test", "java");
    /** A test as the list names it: {@code `ClassName#method_name`}. */
    private static final Pattern TEST = Pattern.compile("`([A-Z][A-Za-z0-9]*)#([a-z][A-Za-z0-9_]*)`");
    private static final Pattern TEST_METHOD = Pattern.compile(
            "@(?:Test|ParameterizedTest)\\b(?:(?!\\bclass\\s+[A-Z]|\\b(?:return|void)\\b).)*?\\bvoid\\s+([a-z][A-Za-z0-9_]*)\\s*\\(",
            Pattern.DOTALL);

    /** A claim: its README place (the key of a table row or a section's name), the promise, the tests. */
    private record Claim(String place, String promise, List<String> tests) {
    }

    @Test
    void every_test_the_list_names_exists() throws IOException {
        Map<String, Set<String>> testMethods = testMethods();
        List<String> missing = new ArrayList<>();
        for (Claim claim : claims()) {
            for (String test : claim.tests()) {
                String[] parts = test.split("#");
                Set<String> methods = testMethods.get(parts[0]);
                if (methods == null || !methods.contains(parts[1])) {
                    missing.add(test + " (for: " + claim.place() + ")");
                }
            }
        }
        assertEquals(List.of(), missing, "tests " + CLAIMS + " names that do not exist");
    }

    @Test
    void every_promise_names_a_test() throws IOException {
        List<Claim> claims = claims();
        assertFalse(claims.isEmpty(), CLAIMS + " lists no claims");
        assertEquals(List.of(), claims.stream().filter(claim -> claim.tests().isEmpty()).map(Claim::place).toList(),
                "promises without a test");
    }

    @Test
    void every_row_of_the_error_and_fault_tables_is_listed() throws IOException {
        Set<String> listed = new TreeSet<>(claims().stream().map(Claim::place).toList());
        List<String> unlisted = new ArrayList<>();
        for (String row : tableRows(Files.readAllLines(ERRORS, StandardCharsets.UTF_8), "| status | `type`")) {
            String[] cells = cells(row);
            String place = "error " + cells[0] + " " + cells[1];
            if (!listed.contains(place)) {
                unlisted.add(place);
            }
        }
        for (String row : tableRows(Files.readAllLines(FAULTS, StandardCharsets.UTF_8),
                "| fault | what the caller sees")) {
            String place = "fault " + cells(row)[0];
            if (!listed.contains(place)) {
                unlisted.add(place);
            }
        }
        assertEquals(List.of(), unlisted, "rows of the error and fault tables with no claim in " + CLAIMS
                + " (its first column must be the row's key as shown)");
    }

    @Test
    void every_variable_of_the_readmes_configuration_table_is_listed_with_tests_that_set_it_for_the_jar()
            throws IOException {
        Map<String, Claim> listed = new LinkedHashMap<>();
        claims().forEach(claim -> listed.put(claim.place(), claim));
        Map<String, String> sources = testSources();
        List<String> problems = new ArrayList<>();
        for (String row : tableRows(Files.readAllLines(README, StandardCharsets.UTF_8), "| environment variable |")) {
            String variable = cells(row)[0];
            Claim claim = listed.get("config " + variable);
            if (claim == null) {
                problems.add("config " + variable + ": no row");
                continue;
            }
            // the variable as the test writes it into the jar's environment: "RPC_ROLE"
            String literal = "\"" + variable.replace("`", "") + "\"";
            for (String test : claim.tests()) {
                String source = sources.getOrDefault(test.split("#")[0], "");
                if (!source.contains(literal) || !source.contains("ApplicationProcess.")) {
                    problems.add("config " + variable + ": " + test + " does not set it for the packaged jar");
                }
            }
        }
        assertEquals(List.of(), problems, "the README's configuration table against " + CLAIMS);
    }

    /** The rows of the list's tables: | place | promise | tests |. */
    private static List<Claim> claims() throws IOException {
        List<Claim> claims = new ArrayList<>();
        for (String line : Files.readAllLines(CLAIMS, StandardCharsets.UTF_8)) {
            if (!line.startsWith("| ") || line.startsWith("| README") || line.startsWith("|---")) {
                continue;
            }
            String[] cells = cells(line);
            List<String> tests = new ArrayList<>();
            Matcher test = TEST.matcher(cells.length > 2 ? cells[2] : "");
            while (test.find()) {
                tests.add(test.group(1) + "#" + test.group(2));
            }
            claims.add(new Claim(cells[0], cells.length > 1 ? cells[1] : "", tests));
        }
        return claims;
    }

    /** Every test method of the test sources, by the simple name of its class's file. */
    private static Map<String, Set<String>> testMethods() throws IOException {
        Map<String, Set<String>> methods = new LinkedHashMap<>();
        testSources().forEach((className, source) -> {
            Set<String> names = new TreeSet<>();
            Matcher method = TEST_METHOD.matcher(source);
            while (method.find()) {
                names.add(method.group(1));
            }
            methods.put(className, names);
        });
        return methods;
    }

    /** The text of every source file of the tests, by the simple name of its class's file. */
    private static Map<String, String> testSources() throws IOException {
        Map<String, String> sources = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(TEST_SOURCES)) {
            for (Path file : files.filter(file -> file.toString().endsWith(".java")).toList()) {
                sources.put(file.getFileName().toString().replaceFirst("\\.java$", ""),
                        Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return sources;
    }

    /** The body rows of the README table whose header starts with this text. */
    private static List<String> tableRows(List<String> lines, String header) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(header)) {
                start = i + 2;
                break;
            }
        }
        assertFalse(start < 0, "no table headed " + header);
        List<String> rows = new ArrayList<>();
        for (int i = start; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }

    /** The cells of a Markdown table row, trimmed; {@code \|} inside a cell is kept as {@code |}. */
    private static String[] cells(String row) {
        String inner = row.strip();
        inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
        String[] cells = inner.split("(?<!\\\\)\\|", -1);
        for (int i = 0; i < cells.length; i++) {
            cells[i] = cells[i].strip().replace("\\|", "|");
        }
        return cells;
    }
}
