package io.fibonaccirpc.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An edit a developer makes to a running application's HTTP route, and how a caller sees it: the JSON answer of
 * {@code gateway/fibonacci-gateway.camel.yaml} gets a {@code "revision"} field.
 */
public final class JsonAnswerRevision {

    public static final String HTTP_ROUTE = "gateway/fibonacci-gateway.camel.yaml";
    /** The JSON answer of the HTTP route, and the "revision" field an edit adds to it. */
    private static final Pattern JSON_ANSWER = Pattern.compile("\"fibonacci\": \"\\$\\{body}\"(, \"revision\": \\d+)?}");

    private JsonAnswerRevision() {
    }

    /**
     * Edits the HTTP route in this directory: its JSON answer gets this "revision" field. The file is replaced in
     * one step (written beside it, then moved over it), as editors save, so that no half-written file is loaded.
     */
    public static void revise(Path routes, int revision) throws IOException {
        Path route = routes.resolve(HTTP_ROUTE);
        String yaml = Files.readString(route, StandardCharsets.UTF_8);
        Matcher answer = JSON_ANSWER.matcher(yaml);
        if (!answer.find()) {
            throw new IllegalStateException(HTTP_ROUTE + " no longer renders " + JSON_ANSWER.pattern());
        }
        String edited = answer.replaceFirst(Matcher.quoteReplacement(
                "\"fibonacci\": \"${body}\", \"revision\": " + revision + "}"));
        Path draft = routes.resolve(HTTP_ROUTE + ".draft");
        Files.writeString(draft, edited, StandardCharsets.UTF_8);
        Files.move(draft, route, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The "revision" field of the JSON answer to /fib/30 at this base URI: 0 when it has none, -1 when the call failed. */
    public static int of(URI application) {
        HttpResponse<String> response = Http.get(application.resolve("/fib/30"), "Accept", "application/json");
        if (response.statusCode() != 200) {
            return -1;
        }
        Map<String, Object> answer = Http.json(response.body());
        assertEquals("832040", answer.get("fibonacci"), response.body());
        return (Integer) answer.getOrDefault("revision", 0);
    }
}
