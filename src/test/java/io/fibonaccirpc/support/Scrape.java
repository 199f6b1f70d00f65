package io.fibonaccirpc.support;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a Prometheus endpoint, read as Prometheus reads the text format: the metric families (their
 * {@code # TYPE} lines) and the samples, each by its name and labels.
 */
public final class Scrape {

    private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( \\S+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final Map<String, String> types;
    private final Map<String, Double> samples;
    private final String contentType;

    private Scrape(Map<String, String> types, Map<String, Double> samples, String contentType) {
        this.types = types;
        this.samples = samples;
        this.contentType = contentType;
    }

    /** GETs the endpoint; fails unless it answers 200. */
    public static Scrape of(URI endpoint) {
        HttpResponse<String> response = Http.get(endpoint);
        if (response.statusCode() != 200) {
            throw new AssertionError(endpoint + " answered " + response.statusCode() + ": " + response.body());
        }
        return parse(response.body(), Http.contentType(response));
    }

    static Scrape parse(String text, String contentType) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher type = TYPE.matcher(line);
            if (type.matches()) {
                types.put(type.group(1), type.group(2));
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new AssertionError("not a sample line of the Prometheus text format: " + line);
            }
            samples.put(key(sample.group(1), labels(sample.group(3))), Double.parseDouble(sample.group(4)));
        }
        return new Scrape(types, samples, contentType);
    }

    /** The metric families with a {@code # TYPE} line, by name: counter, gauge, histogram... */
    public Map<String, String> types() {
        return types;
    }

    /** The names of the metric families that start with this prefix. */
    public Set<String> familiesStartingWith(String prefix) {
        Set<String> names = new TreeSet<>();
        types.keySet().stream().filter(name -> name.startsWith(prefix)).forEach(names::add);
        return names;
    }

    public String contentType() {
        return contentType;
    }

    /** The sample of this name with exactly these labels (name, value, name, value...); fails when there is none. */
    public double value(String name, String... labels) {
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        Double value = samples.get(key(name, wanted));
        if (value == null) {
            throw new AssertionError("no sample " + key(name, wanted) + " among " + samples.keySet().stream()
                    .filter(key -> key.startsWith(name)).toList());
        }
        return value;
    }

    /** Whether a sample's name starts with this prefix. */
    public boolean hasSampleStartingWith(String prefix) {
        return samples.keySet().stream().anyMatch(key -> key.startsWith(prefix));
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new TreeMap<>();
        if (text != null) {
            Matcher label = LABEL.matcher(text);
            while (label.find()) {
                labels.put(label.group(1), label.group(2));
            }
        }
        return labels;
    }

    private static String key(String name, Map<String, String> labels) {
        return name + labels;
    }
}
