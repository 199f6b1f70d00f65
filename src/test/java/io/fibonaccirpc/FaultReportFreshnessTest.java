package io.fibonaccirpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/fault-report.md, which the README calls the latest report, was written from the fault tests as they are:
 * its fingerprint of their sources (written by scripts/fault-report) is theirs now. A changed fault test fails this
 * until the report is written again.
 */
class FaultReportFreshnessTest {

    private static final Path SCRIPT = Path.of("scripts", "fault-report");
    private static final Path REPORT = Path.of("docs", "fault-report.md");
    private static final Path TEST_SOURCES = Path.of("src", "test", "java");
    private static final Pattern TEST_LIST = Pattern.compile("^(tests|its)=\\(([^)]*)\\)", Pattern.MULTILINE);
    private static final Pattern FINGERPRINT = Pattern.compile("^- Fingerprint of the tests' sources: ([0-9a-f]{64})$",
            Pattern.MULTILINE);

    @Test
    void the_committed_fault_report_was_written_from_the_fault_tests_as_they_are() throws Exception {
        List<String> tests = summarisedTests();
        Matcher committed = FINGERPRINT.matcher(Files.readString(REPORT, StandardCharsets.UTF_8));
        assertTrue(committed.find(), REPORT + " has no fingerprint of the tests' sources: run scripts/fault-report");
        assertEquals(committed.group(1), fingerprint(tests), REPORT + " is older than the tests it summarises "
                + tests + ": run scripts/fault-report and commit the report");
    }

    /** The test classes named in the script's {@code tests=(...)} and {@code its=(...)} lists. */
    private static List<String> summarisedTests() throws IOException {
        Matcher lists = TEST_LIST.matcher(Files.readString(SCRIPT, StandardCharsets.UTF_8));
        List<String> tests = new ArrayList<>();
        while (lists.find()) {
            tests.addAll(List.of(lists.group(2).strip().split("\\s+")));
        }
        assertFalse(tests.isEmpty(), SCRIPT + " names no tests");
        return tests;
    }

    /**
     * As the script computes it: the sha256 of the lines {@code sha256sum} prints ({@code <hex>  <path>}) for the
     * tests' source files, in the order of their paths.
     */
    private static String fingerprint(List<String> tests) throws IOException, NoSuchAlgorithmException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(TEST_SOURCES)) {
            sources = files.filter(file -> tests.contains(file.getFileName().toString().replaceFirst("\\.java$", "")))
                    .sorted((a, b) -> compareBytes(a.toString(), b.toString())).toList();
        }
        assertEquals(tests.size(), sources.size(), "a source file for each test of " + SCRIPT + ": " + sources);
        StringBuilder listing = new StringBuilder();
        for (Path source : sources) {
            listing.append(sha256(Files.readAllBytes(source))).append("  ").append(source).append('\n');
        }
        return sha256(listing.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The order of {@code LC_ALL=C sort}: by bytes. */
    private static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
