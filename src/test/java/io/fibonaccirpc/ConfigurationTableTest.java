package io.fibonaccirpc;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The README's configuration table and application.properties say the same: every setting of the file is in the
 * table, each row's environment variable is its property's name as Camel maps it (upper case, dots and dashes as
 * underscores), and a default written in the table is the file's.
 */
class ConfigurationTableTest {

    private static final Path README = Path.of("README.md");
    private static final Path TABLE = Path.of("docs", "configuration.md");
    private static final Path PROPERTIES = Path.of("src", "main", "resources", "application.properties");
    private static final String HEADER = "| environment variable | property | default | meaning |";
    /** Keys of the file that wire the application together rather than set it up: not for users to change. */
    private static final Set<String> WIRING = Set.of("rpc.dead-letter-endpoint");

    private record Row(String variable, String property, String defaultValue) {
    }

    @Test
    void the_configuration_page_lists_every_setting_of_application_properties_with_its_default_and_variable()
            throws IOException {
        Properties file = new Properties();
        try (Reader reader = Files.newBufferedReader(PROPERTIES, StandardCharsets.UTF_8)) {
            file.load(reader);
        }
        List<Row> rows = rows(TABLE);
        List<String> problems = new ArrayList<>();
        Set<String> listed = new TreeSet<>();
        for (Row row : rows) {
            listed.add(row.property());
            String variable = row.property().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
            if (!variable.equals(row.variable())) {
                problems.add(row.variable() + ": the variable of " + row.property() + " is " + variable);
            }
            String value = file.getProperty(row.property());
            if (row.defaultValue().startsWith("(")) {
                continue; // a default in words: computed, or another key's
            }
            if (value == null) {
                problems.add(row.property() + " is not in " + PROPERTIES);
            } else if (!value.equals(row.defaultValue())) {
                problems.add(row.property() + ": the table's default is '" + row.defaultValue() + "', the file's '"
                        + value + "'");
            }
        }
        for (String key : file.stringPropertyNames()) {
            if (!key.startsWith("camel.") && !WIRING.contains(key) && !listed.contains(key)) {
                problems.add(key + " of " + PROPERTIES + " is not in the table of " + TABLE);
            }
        }
        assertFalse(rows.isEmpty(), TABLE + " has a configuration table");
        assertEquals(List.of(), problems, "the configuration table of " + TABLE + " against " + PROPERTIES);
    }

    @Test
    void the_readmes_short_table_says_what_the_full_table_says() throws IOException {
        List<Row> full = rows(TABLE);
        List<Row> readme = rows(README);
        assertFalse(readme.isEmpty(), "the README has a configuration table");
        assertEquals(List.of(), readme.stream().filter(row -> !full.contains(row)).toList(),
                "rows of the README's table that differ from " + TABLE);
    }

    private static List<Row> rows(Path page) throws IOException {
        List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
        int header = lines.indexOf(HEADER);
        assertFalse(header < 0, page + " has no table headed " + HEADER);
        List<Row> rows = new ArrayList<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).substring(1).split("(?<!\\\\)\\|");
            rows.add(new Row(code(cells[0]), code(cells[1]), code(cells[2])));
        }
        return rows;
    }

    /** A cell's text: trimmed, a code span's content, {@code \|} as {@code |}. */
    private static String code(String cell) {
        String text = cell.strip().replace("\\|", "|");
        return text.length() >= 2 && text.startsWith("`") && text.endsWith("`") ? text.substring(1, text.length() - 1)
                : text;
    }
}
