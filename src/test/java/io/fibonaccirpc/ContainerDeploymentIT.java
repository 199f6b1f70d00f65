package io.fibonaccirpc;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can be checked here of the container deployment, where no container engine runs: the image recipe
 * ({@code Dockerfile}) copies and runs the jar the build makes, and the compose file ({@code compose.yaml}) starts
 * a three-node RabbitMQ cluster and servers and two gateways on a quorum queue, connected to every node. Neither
 * is built or started here.
 */
class ContainerDeploymentIT {

    private static final Path DOCKERFILE = Path.of("Dockerfile");
    private static final Path DOCKERIGNORE = Path.of(".dockerignore");
    private static final Path COMPOSE_FILE = Path.of("compose.yaml");
    private static final Path APPLICATION_PROPERTIES = Path.of("src", "main", "resources", "application.properties");
    private static final Pattern DEFAULTED_VARIABLE = Pattern.compile("\\$\\{(\\w+):-([^}]*)}");
    private static final Pattern CLASSIC_CONFIG_NODE =
            Pattern.compile("cluster_formation\\.classic_config\\.nodes\\.\\d+\\s*=\\s*(\\S+)");

    @Test
    void the_image_copies_and_runs_the_jar_the_build_makes() throws IOException {
        Path jar = Path.of(System.getProperty("application.jar"));
        assertTrue(Files.isRegularFile(jar), "the build made " + jar);
        try (JarFile runnable = new JarFile(jar.toFile())) {
            assertEquals(FibonacciRpcApplication.class.getName(),
                    runnable.getManifest().getMainAttributes().getValue("Main-Class"));
        }

        List<List<String>> copies = instructions("COPY");
        assertEquals(1, copies.size(), "one COPY: " + copies);
        List<String> copy = copies.get(0);
        assertEquals(2, copy.size(), "COPY <source> <destination>: " + copy);
        Path projectFolder = Path.of("").toAbsolutePath();
        assertEquals(projectFolder.relativize(jar.toAbsolutePath()), Path.of(copy.get(0)),
                "the COPY source is the jar the build makes");

        List<List<String>> entrypoints = instructions("ENTRYPOINT");
        assertEquals(1, entrypoints.size(), "one ENTRYPOINT: " + entrypoints);
        List<?> command = new ObjectMapper().readValue(String.join(" ", entrypoints.get(0)), List.class);
        assertEquals("java", command.get(0), "exec form, so that java gets docker stop's SIGTERM: " + command);
        assertEquals(List.of("-jar", copy.get(1)), command.subList(command.size() - 2, command.size()),
                "runs the jar where COPY put it: " + command);

        assertEquals(List.of(List.of(applicationProperty("http.port"))), instructions("EXPOSE"),
                "exposes the default HTTP port");
        assertTrue(inBuildContext(copy.get(0)), ".dockerignore keeps " + copy.get(0) + " in the build context");
    }

    @Test
    void the_compose_file_starts_a_cluster_of_three_rabbitmq_nodes() throws IOException {
        Map<String, Map<String, Object>> nodes = rabbitmqServices();
        assertEquals(List.of("rabbitmq-1", "rabbitmq-2", "rabbitmq-3"), List.copyOf(nodes.keySet()));

        Set<String> cookies = new TreeSet<>();
        Set<String> discovered = new TreeSet<>();
        for (Map.Entry<String, Map<String, Object>> node : nodes.entrySet()) {
            Map<String, Object> service = node.getValue();
            assertTrue(String.valueOf(service.get("image")).startsWith("rabbitmq:3."), node.getKey() + ": "
                    + service.get("image"));
            assertEquals(node.getKey(), service.get("hostname"), "the node name is rabbit@ and the host name");
            String cookie = environment(service).get("RABBITMQ_ERLANG_COOKIE");
            assertNotNull(cookie, node.getKey() + " has RABBITMQ_ERLANG_COOKIE");
            cookies.add(cookie);
            assertNotNull(service.get("healthcheck"), node.getKey() + " says when it runs");

            String mount = list(service.get("volumes")).stream().map(String::valueOf)
                    .filter(volume -> volume.contains(":/etc/rabbitmq/conf.d/")).findFirst()
                    .orElseThrow(() -> new AssertionError(node.getKey() + " mounts no configuration file"));
            Path configuration = Path.of(mount.substring(0, mount.indexOf(':')));
            assertTrue(Files.isRegularFile(configuration), mount);
            String conf = Files.readString(configuration);
            assertTrue(conf.lines().anyMatch(line -> line.matches(
                    "cluster_formation\\.peer_discovery_backend\\s*=\\s*classic_config")), conf);
            Matcher listed = CLASSIC_CONFIG_NODE.matcher(conf);
            Set<String> listedNodes = new TreeSet<>();
            while (listed.find()) {
                listedNodes.add(listed.group(1));
            }
            discovered.addAll(listedNodes);
        }
        assertEquals(1, cookies.size(), "one Erlang cookie for every node: " + cookies);
        Set<String> nodeNames = nodes.keySet().stream().map(name -> "rabbit@" + name)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(nodeNames, discovered, "peer discovery lists every node");
    }

    @Test
    void the_compose_file_runs_several_servers_and_two_gateways_on_a_quorum_queue_across_every_node()
            throws IOException {
        Map<String, Map<String, Object>> applications = applicationServices();
        Map<String, Map<String, Object>> nodes = rabbitmqServices();
        String everyNode = nodes.keySet().stream().map(name -> name + ":5672").collect(Collectors.joining(","));
        Map<String, String> nodeEnvironment = environment(nodes.get("rabbitmq-1"));
        Set<String> configurationVariables = applicationProperties().stringPropertyNames().stream()
                .map(key -> key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'))
                .collect(Collectors.toSet());

        List<String> gateways = new ArrayList<>();
        int servers = 0;
        for (Map.Entry<String, Map<String, Object>> application : applications.entrySet()) {
            String name = application.getKey();
            Map<String, Object> service = application.getValue();
            Map<String, String> environment = environment(service);
            assertEquals(".", service.get("build"), name + " builds the image of ./Dockerfile");
            assertTrue(Files.isRegularFile(DOCKERFILE));
            assertEquals("quorum", environment.get("RPC_QUEUE_TYPE"), name);
            assertEquals(everyNode, environment.get("RABBITMQ_ADDRESSES"), name);
            assertEquals(nodeEnvironment.get("RABBITMQ_DEFAULT_USER"), environment.get("RABBITMQ_USERNAME"), name);
            assertEquals(nodeEnvironment.get("RABBITMQ_DEFAULT_PASS"), environment.get("RABBITMQ_PASSWORD"), name);
            assertEquals(Set.of(), difference(environment.keySet(), configurationVariables),
                    name + " sets only variables the application reads");
            Map<?, ?> dependencies = (Map<?, ?>) service.get("depends_on");
            for (String node : nodes.keySet()) {
                assertEquals(Map.of("condition", "service_healthy"), dependencies.get(node),
                        name + " starts once " + node + " runs");
            }
            assertTrue(seconds(service.get("stop_grace_period"))
                            > Integer.parseInt(applicationProperty("camel.main.shutdown-timeout")),
                    name + " is given time to answer its calls in flight when stopped");
            switch (environment.get("RPC_ROLE")) {
                case "server" -> servers += ((Number) ((Map<?, ?>) service.get("deploy")).get("replicas")).intValue();
                case "gateway" -> gateways.add(String.valueOf(list(service.get("ports")).get(0)));
                default -> throw new AssertionError(name + ": RPC_ROLE " + environment.get("RPC_ROLE"));
            }
        }
        assertTrue(servers >= 2, "several servers: " + servers);
        String httpPort = applicationProperty("http.port");
        assertEquals(List.of("8080:" + httpPort, "8081:" + httpPort), gateways, "two gateways, each on a port");
    }

    /** The services of compose.yaml whose image is RabbitMQ's, by name. */
    private static Map<String, Map<String, Object>> rabbitmqServices() throws IOException {
        Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
        services().forEach((name, service) -> {
            if (String.valueOf(service.get("image")).startsWith("rabbitmq:")) {
                nodes.put(name, service);
            }
        });
        return nodes;
    }

    /** The services of compose.yaml that run the application (they build its image), by name. */
    private static Map<String, Map<String, Object>> applicationServices() throws IOException {
        Map<String, Map<String, Object>> applications = new LinkedHashMap<>();
        services().forEach((name, service) -> {
            if (service.containsKey("build")) {
                applications.put(name, service);
            }
        });
        assertEquals(services().size(), applications.size() + rabbitmqServices().size(),
                "every service is a RabbitMQ node or the application: " + services().keySet());
        return applications;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        Object compose = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(COMPOSE_FILE));
        return (Map<String, Map<String, Object>>) ((Map<String, Object>) compose).get("services");
    }

    /** A service's environment, each ${NAME:-default} as its default. */
    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> environment = new LinkedHashMap<>();
        ((Map<?, ?>) service.get("environment")).forEach((name, value) -> environment.put(String.valueOf(name),
                DEFAULTED_VARIABLE.matcher(String.valueOf(value)).replaceAll("$2")));
        return environment;
    }

    private static List<?> list(Object value) {
        return (List<?>) value;
    }

    private static int seconds(Object duration) {
        Matcher seconds = Pattern.compile("(\\d+)s").matcher(String.valueOf(duration));
        assertTrue(seconds.matches(), "a duration in seconds: " + duration);
        return Integer.parseInt(seconds.group(1));
    }

    private static Set<String> difference(Set<String> all, Set<String> known) {
        Set<String> unknown = new TreeSet<>(all);
        unknown.removeAll(known);
        return unknown;
    }

    /** The Dockerfile's instructions of one kind, each as its words; continuation lines joined. */
    private static List<List<String>> instructions(String kind) throws IOException {
        List<List<String>> found = new ArrayList<>();
        String joined = Files.readString(DOCKERFILE).replaceAll("\\\\\\n", " ");
        for (String line : joined.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+");
            if (words[0].equalsIgnoreCase(kind)) {
                found.add(List.of(words).subList(1, words.length));
            }
        }
        return found;
    }

    /**
     * Whether .dockerignore leaves this file in the build context: the last pattern that matches the file or one
     * of its folders decides, a pattern starting with ! keeps it.
     */
    private static boolean inBuildContext(String file) throws IOException {
        boolean kept = true;
        for (String rule : Files.readAllLines(DOCKERIGNORE)) {
            String pattern = rule.strip();
            if (pattern.isEmpty() || pattern.startsWith("#")) {
                continue;
            }
            boolean keeps = pattern.startsWith("!");
            var matcher = FileSystems.getDefault().getPathMatcher("glob:" + (keeps ? pattern.substring(1) : pattern));
            for (Path path = Path.of(file); path != null; path = path.getParent()) {
                if (matcher.matches(path)) {
                    kept = keeps;
                    break;
                }
            }
        }
        return kept;
    }

    private static Properties applicationProperties() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(APPLICATION_PROPERTIES)) {
            properties.load(reader);
        }
        return properties;
    }

    private static String applicationProperty(String key) throws IOException {
        String value = applicationProperties().getProperty(key);
        assertNotNull(value, key + " in " + APPLICATION_PROPERTIES);
        return value;
    }
}
