package io.fibonaccirpc.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.spi.Resource;

/**
 * The gateway's OpenAPI document, read once from its file ({@code openapi/fibonacci-rpc.yaml}, the one source of
 * the HTTP contract) with the gateway's largest n in every line the file marks {@code # fibonacci.max-n}.
 */
public final class OpenApiDocument {

    private static final Pattern MAX_N = Pattern.compile("(?m)^(\\s*maximum: )\\d+( # fibonacci\\.max-n)$");

    private final String text;

    public OpenApiDocument(Resource file, int maxN) {
        String document;
        try (InputStream in = file.getInputStream()) {
            document = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the OpenAPI document " + file.getLocation()
                    + " (rpc.openapi-document)", e);
        }
        Matcher marked = MAX_N.matcher(document);
        if (!marked.find()) {
            throw new IllegalArgumentException("the OpenAPI document " + file.getLocation()
                    + " has no line 'maximum: <n> # fibonacci.max-n'");
        }
        this.text = marked.replaceAll("$1" + maxN + "$2");
    }

    /** The document as a gateway serves it. */
    public String text() {
        return text;
    }
}
