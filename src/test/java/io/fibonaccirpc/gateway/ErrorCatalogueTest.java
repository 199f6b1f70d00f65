package io.fibonaccirpc.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fibonaccirpc.gateway.GatewayMetrics.CallOutcome;
import io.fibonaccirpc.wire.CallProblem;
import io.fibonaccirpc.wire.Problem;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error catalogue ({@link CallProblem}) is the one source of what a call can fail with: the table of
 * docs/errors.md, the OpenAPI document and the gateway's metrics say what it says.
 */
class ErrorCatalogueTest {

    private static final Path ERRORS = Path.of("docs", "errors.md");
    private static final Path OPENAPI = Path.of("src", "main", "resources", "openapi", "fibonacci-rpc.yaml");
    private static final Pattern CODE = Pattern.compile("`([a-z-]+)`");

    @Test
    void the_error_table_lists_exactly_the_catalogue() throws IOException {
        Map<Integer, Set<String>> table = new TreeMap<>();
        List<String> lines = Files.readAllLines(ERRORS, StandardCharsets.UTF_8);
        int header = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("| status | `type`")) {
                header = i;
            }
        }
        assertFalse(header < 0, ERRORS + " has the error table");
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|");
            Matcher type = CODE.matcher(cells[2]);
            while (type.find()) {
                table.computeIfAbsent(Integer.parseInt(cells[1].strip()), status -> new TreeSet<>()).add(type.group(1));
            }
        }
        assertEquals(catalogue(), table, "the rows of " + ERRORS + " with a problem type, against CallProblem");
    }

    @Test
    void the_openapi_document_describes_exactly_the_catalogue() throws IOException {
        SwaggerParseResult parsed = new OpenAPIParser().readContents(Files.readString(OPENAPI, StandardCharsets.UTF_8),
                null, null);
        assertEquals(List.of(), parsed.getMessages() == null ? List.of() : parsed.getMessages(),
                OPENAPI + " is a valid OpenAPI document as it is in the source tree");
        OpenAPI document = parsed.getOpenAPI();
        Map<Integer, Set<String>> described = new TreeMap<>();
        for (Integer status : catalogue().keySet()) {
            Schema<?> schema = document.getComponents().getSchemas().get("Status" + status);
            assertNotNull(schema, "the document has a schema Status" + status);
            Set<String> types = new TreeSet<>();
            for (Object type : ((Schema<?>) schema.getProperties().get("type")).getEnum()) {
                types.add(type.toString().substring(Problem.TYPE_PREFIX.length()));
            }
            described.put(status, types);
        }
        assertEquals(catalogue(), described, "the problem types of each status in " + OPENAPI);
    }

    @Test
    void every_entry_is_counted_as_an_outcome_of_the_gateways_metrics_and_every_503_says_when_to_retry() {
        for (CallProblem problem : CallProblem.values()) {
            CallOutcome outcome = CallOutcome.of(problem);
            assertEquals(outcome, CallOutcome.of(problem.status(), problem.problem("detail", null)), problem.name());
            assertTrue(problem.status() != 503 || problem.retryAfter() != null, problem + " has a Retry-After");
        }
        assertEquals(CallOutcome.NO_SERVER, CallOutcome.of(CallProblem.NO_QUEUE));
        assertEquals(CallOutcome.OVERLOAD, CallOutcome.of(CallProblem.OVERLOADED));
    }

    /** The catalogue's problem types by status, without their common prefix. */
    private static Map<Integer, Set<String>> catalogue() {
        Map<Integer, Set<String>> types = new TreeMap<>();
        for (CallProblem problem : CallProblem.values()) {
            types.computeIfAbsent(problem.status(), status -> new TreeSet<>())
                    .add(problem.type().substring(Problem.TYPE_PREFIX.length()));
        }
        return types;
    }
}
