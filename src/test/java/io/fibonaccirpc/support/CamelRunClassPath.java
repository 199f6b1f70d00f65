package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What {@code camel run} runs on beside what the jar holds, artifact by artifact (group:artifact:version):
 * <ul>
 *   <li>the jar: the runtime dependencies the shade plugin packs ({@code target/runtime-dependencies.txt});</li>
 *   <li>camel run's class path: the CLI's own and the jars it downloaded for the files it runs (the jars its
 *       process holds open);</li>
 *   <li>what camel run loaded classes from (the JVM's {@code class+load} log).</li>
 * </ul>
 * {@link #differences} lists every artifact camel run loads classes from at another version than the jar's, or
 * which the jar does not have though it is not the CLI's; and every artifact of the jar that is not on camel
 * run's class path at the jar's version.
 */
public final class CamelRunClassPath {

    /** A jar of the Maven repository, by its coordinates. */
    public record Artifact(String group, String name, String version) {

        String key() {
            return group + ":" + name;
        }

        @Override
        public String toString() {
            return key() + ":" + version;
        }
    }

    /** What camel run downloads to run source files, which the jar has no use for: the compiler of the .java files. */
    private static final Set<String> SOURCE_RUNNERS = Set.of(
            "org.apache.camel:camel-java-joor-dsl", "org.apache.camel:camel-joor", "org.jooq:joor");

    /**
     * The differences that come with the CLI and cannot be mended from the project: the CLI brings Spring's core
     * (camel-kamelet-main's, at Camel's own 6.2.15) and no spring-tx or spring-messaging, so for those two camel run
     * takes what spring-rabbit 3.2.8 asks for, 6.2.12; the jar has Camel's 6.2.15 throughout (pom.xml).
     */
    private static final Map<String, String> CLI_DIFFERENCES = Map.of(
            "org.springframework:spring-tx", "spring-rabbit's version beside the CLI's Spring",
            "org.springframework:spring-messaging", "spring-rabbit's version beside the CLI's Spring");

    private final Set<Artifact> jar;
    private final Set<Artifact> cli;
    private final Set<Artifact> classPath;
    private final Set<Artifact> loaded;

    private CamelRunClassPath(Set<Artifact> jar, Set<Artifact> cli, Set<Artifact> classPath, Set<Artifact> loaded) {
        this.jar = jar;
        this.cli = cli;
        this.classPath = classPath;
        this.loaded = loaded;
    }

    /**
     * @param runtimeDependencies the jar's dependencies, as {@code dependency:list} writes them
     * @param cliClassPath        the CLI's own class path
     * @param openJars            the jars the camel run process held open
     * @param loadedJars          the jars it loaded classes from
     * @param repository          the Maven repository all of these are in
     */
    public static CamelRunClassPath of(Path runtimeDependencies, Collection<Path> cliClassPath,
                                       Collection<Path> openJars, Collection<Path> loadedJars, Path repository) {
        Function<Collection<Path>, Set<Artifact>> artifacts = jars -> jars.stream()
                .map(jarFile -> artifact(repository, jarFile)).filter(Objects::nonNull)
                .collect(Collectors.toCollection(HashSet::new));
        Set<Artifact> cli = artifacts.apply(cliClassPath);
        Set<Artifact> loaded = artifacts.apply(loadedJars);
        Set<Artifact> classPath = new HashSet<>(cli);
        classPath.addAll(artifacts.apply(openJars));
        classPath.addAll(loaded);
        return new CamelRunClassPath(listedDependencies(runtimeDependencies), cli, classPath, loaded);
    }

    /** The jars a running process holds open (Linux: its file descriptors). */
    public static Set<Path> openJars(long pid) {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            Set<Path> jars = new HashSet<>();
            for (Path descriptor : descriptors.toList()) {
                try {
                    Path target = Files.readSymbolicLink(descriptor);
                    if (target.toString().endsWith(".jar")) {
                        jars.add(target);
                    }
                } catch (IOException e) {
                    // closed while listed
                }
            }
            return jars;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the open files of process " + pid, e);
        }
    }

    /** The jars a JVM loaded classes from, read from its {@code -Xlog:class+load} output. */
    public static Set<Path> loadedJars(Path classLoadLog) {
        try (Stream<String> lines = Files.lines(classLoadLog, StandardCharsets.UTF_8)) {
            return lines.map(line -> {
                int source = line.indexOf(" source: ");
                return source < 0 ? null : line.substring(source + " source: ".length()).strip();
            }).filter(source -> source != null && (source.startsWith("file:") || source.startsWith("jar:file:")))
                    .map(source -> {
                        String file = source.substring(source.indexOf("file:") + "file:".length());
                        int entry = file.indexOf("!/");
                        return Path.of(URLDecoder.decode(entry < 0 ? file : file.substring(0, entry),
                                StandardCharsets.UTF_8));
                    })
                    .filter(path -> path.toString().endsWith(".jar"))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + classLoadLog, e);
        }
    }

    /** What is wrong, one line each; empty when camel run runs on what the jar holds. */
    public List<String> differences() {
        Map<String, Artifact> jarByKey = jar.stream().collect(Collectors.toMap(Artifact::key, a -> a));
        Map<String, String> seen = new LinkedHashMap<>();
        List<String> differences = new ArrayList<>();
        for (Artifact used : sorted(loaded)) {
            Artifact packed = jarByKey.get(used.key());
            if (packed != null && !packed.version().equals(used.version())) {
                if (CLI_DIFFERENCES.containsKey(used.key())) {
                    seen.put(used.key(), used.version());
                } else {
                    differences.add("camel run loads " + used + ", the jar has " + packed.version());
                }
            } else if (packed == null && !cli.contains(used) && !SOURCE_RUNNERS.contains(used.key())) {
                differences.add("camel run loads " + used + ", which the jar does not have");
            }
        }
        for (Artifact packed : sorted(jar)) {
            if (!classPath.contains(packed)) {
                if (CLI_DIFFERENCES.containsKey(packed.key())) {
                    seen.put(packed.key(), packed.version());
                } else {
                    differences.add("the jar has " + packed + ", camel run's class path " + versionsOf(packed.key()));
                }
            }
        }
        CLI_DIFFERENCES.keySet().stream().filter(key -> !seen.containsKey(key)).sorted().forEach(key -> differences.add(
                "the known difference of " + key + " (" + CLI_DIFFERENCES.get(key) + ") is gone: drop it"));
        return differences;
    }

    /** The jars camel run downloaded for the files and never loaded a class from. */
    public List<Artifact> downloadedUnused() {
        return sorted(classPath.stream().filter(a -> !cli.contains(a) && !loaded.contains(a)).toList());
    }

    /** How many artifacts each list has: the jar's, the CLI's, camel run's class path, those it loaded from. */
    public String sizes() {
        return "jar " + jar.size() + ", CLI " + cli.size() + ", camel run class path " + classPath.size()
                + ", loaded from " + loaded.size();
    }

    private String versionsOf(String key) {
        List<String> versions = classPath.stream().filter(a -> a.key().equals(key)).map(Artifact::version).sorted()
                .toList();
        return versions.isEmpty() ? "has none" : "has " + String.join(", ", versions);
    }

    private static List<Artifact> sorted(Collection<Artifact> artifacts) {
        return artifacts.stream().sorted(Comparator.comparing(Artifact::toString)).toList();
    }

    /** The artifact of a jar in the repository (group/path/name/version/file), or null for a jar outside it. */
    private static Artifact artifact(Path repository, Path jarFile) {
        Path absolute = jarFile.toAbsolutePath().normalize();
        Path root = repository.toAbsolutePath().normalize();
        if (!absolute.startsWith(root)) {
            return null;
        }
        Path relative = root.relativize(absolute);
        int parts = relative.getNameCount();
        if (parts < 4) {
            return null;
        }
        String group = relative.subpath(0, parts - 3).toString().replace(relative.getFileSystem().getSeparator(), ".");
        return new Artifact(group, relative.getName(parts - 3).toString(), relative.getName(parts - 2).toString());
    }

    /** {@code dependency:list} output: lines of group:artifact:type[:classifier]:version:scope[ -- module ...]. */
    private static Set<Artifact> listedDependencies(Path file) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.map(String::strip)
                    .map(line -> line.contains(" -- ") ? line.substring(0, line.indexOf(" -- ")) : line)
                    .map(line -> line.split(":"))
                    .filter(parts -> parts.length == 5 || parts.length == 6)
                    .map(parts -> new Artifact(parts[0], parts[1], parts[parts.length - 2]))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the jar's dependencies from " + file, e);
        }
    }
}
