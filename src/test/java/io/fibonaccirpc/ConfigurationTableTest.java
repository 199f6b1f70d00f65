package io.fibonaccirpc;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    /**
     * For each row of the README's table, the test that sets its variable in the environment of the packaged jar and
     * sees what it changes: a setting the application reads under another name, or not at all, fails that test.
     */
    private static final Map<String, String> EFFECT_TESTS = Map.ofEntries(
            Map.entry("RPC_ROLE", "ScaleOutIT#a_server_only_process_consumes_the_queue_but_has_no_fib_route"),
            Map.entry("RABBITMQ_HOST",
                    "FailedStartIT#an_application_given_a_broker_host_that_does_not_resolve_exits_with_status_1_naming_it"),
            Map.entry("RABBITMQ_PORT",
                    "FailedStartIT#an_application_that_cannot_reach_the_broker_at_start_exits_with_status_1_saying_why"),
            Map.entry("RABBITMQ_USERNAME", "FailedStartIT#"
                    + "an_application_with_a_wrong_broker_user_or_password_exits_with_status_1_saying_the_login_was_refused"),
            Map.entry("RABBITMQ_PASSWORD", "FailedStartIT#"
                    + "an_application_with_a_wrong_broker_user_or_password_exits_with_status_1_saying_the_login_was_refused"),
            Map.entry("HTTP_PORT", "ManagementPortIT#"
                    + "camel_management_port_in_the_environment_moves_health_and_metrics_to_a_listener_of_their_own"),
            Map.entry("RPC_QUEUE",
                    "CallerLimitIT#past_its_limit_a_user_gets_429_and_another_user_on_the_same_address_still_gets_through"),
            Map.entry("RPC_REPLY_TIMEOUT", "ConfigurationEnvironmentIT#"
                    + "rpc_max_in_flight_refuses_calls_past_it_and_rpc_reply_timeout_ends_a_call_waiting_for_its_reply"),
            Map.entry("RPC_MAX_IN_FLIGHT", "ConfigurationEnvironmentIT#"
                    + "rpc_max_in_flight_refuses_calls_past_it_and_rpc_reply_timeout_ends_a_call_waiting_for_its_reply"),
            Map.entry("RPC_CALLER_MAX_IN_FLIGHT",
                    "CallerLimitIT#past_its_limit_a_user_gets_429_and_another_user_on_the_same_address_still_gets_through"),
            Map.entry("FIBONACCI_MAX_N",
                    "ConfigurationEnvironmentIT#fibonacci_max_n_bounds_n_at_the_gateway_and_at_the_server"));

    @Test
    void every_variable_of_the_readmes_table_is_set_by_a_test_of_the_packaged_jar() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Row row : rows(README)) {
            String test = EFFECT_TESTS.get(row.variable());
            if (test == null) {
                problems.add(row.variable() + ": no test named that sets it in the jar's environment");
                continue;
            }
            String className = test.substring(0, test.indexOf('#'));
            String method = test.substring(test.indexOf('#') + 1);
            Path source = Path.of("src", "test", "java", "io", "fibonaccirpc", className + ".java");
            String text = Files.exists(source) ? Files.readString(source, StandardCharsets.UTF_8) : "";
            if (!text.contains("void " + method + "(")) {
                problems.add(row.variable() + ": no test " + test);
            } else if (!text.contains("\"" + row.variable() + "\"") || !text.contains("ApplicationProcess.")) {
                problems.add(row.variable() + ": " + className + " does not set it for the packaged jar");
            }
        }
        assertEquals(List.of(), problems, "the README's configuration table against the tests of the jar");
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
