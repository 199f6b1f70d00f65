package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * A RabbitMQ node of a test's own, to inject faults into without touching the shared broker of
 * {@link TestBroker}: the installed {@code rabbitmq-server}, started detached under its own node name
 * ({@code fibtest-<random>@localhost}), its own AMQP and Erlang distribution ports (free ones), and its own
 * folder under {@code target/disposable-brokers/} for its configuration, Erlang cookie ({@code HOME}),
 * database and logs. No plugin is enabled, so it opens no management port. {@link #close} stops the node and
 * deletes the folder.
 * <p>
 * The scripts are those in {@code /usr/lib/rabbitmq/bin} (the Debian and RPM packages' real scripts, which
 * run as the calling user), else the {@code rabbitmq-server} found on the PATH; the RABBITMQ_SCRIPTS_DIR
 * environment variable names another folder. Only variables set here reach the node: the package's
 * {@code /etc/rabbitmq/rabbitmq-env.conf}, {@code rabbitmq.conf} and {@code advanced.config}, which configure
 * the shared node, are replaced by files of this node's own.
 */
public final class DisposableBroker implements Broker, AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration AMQP_TIMEOUT = Duration.ofSeconds(30);
    private static final Path ROOT = Path.of("target", "disposable-brokers").toAbsolutePath();
    private static final String USERNAME = "guest";
    private static final String PASSWORD = "guest";
    private static final String VHOST = "/";
    /** The broker's default relative memory high watermark, restored after an alarm. */
    public static final double DEFAULT_MEMORY_HIGH_WATERMARK = 0.4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOG_TAIL_LINES = 40;
    private static final Pattern NODE_OF_PID = Pattern.compile("<([^@<>]+@[^.<>]+)\\.\\d+\\.\\d+\\.\\d+>");

    private final String node;
    private final int amqpPort;
    private final int distributionPort;
    private final Path folder;
    private final Path scripts;
    private final Map<String, String> nodeEnvironment;
    private volatile long osPid = -1;
    private final Thread killOnExit;
    /** The TLS (amqps) port, or 0 when the node has no TLS listener. */
    private int tlsPort;

    private DisposableBroker(String node, int amqpPort, int distributionPort, Path folder, Path scripts) {
        this.node = node;
        this.amqpPort = amqpPort;
        this.distributionPort = distributionPort;
        this.folder = folder;
        this.scripts = scripts;
        this.nodeEnvironment = nodeEnvironment();
        this.killOnExit = new Thread(this::killNode, "kill " + node);
    }

    /** Starts a fresh node and returns once its AMQP port accepts connections. */
    public static DisposableBroker start() {
        return start(false);
    }

    /**
     * Starts a fresh node that also listens for TLS (amqps) on {@link #tlsPort()}, with a certificate for
     * localhost and 127.0.0.1 signed by a CA of its own, which {@link #trustStore()} holds.
     */
    public static DisposableBroker startWithTls() {
        return start(true);
    }

    /**
     * Starts a fresh node that listens for TLS as {@link #startWithTls()} does, with a certificate whose subject
     * alternative names are these instead ({@code DNS:elsewhere.example}, say): for a client that connects by a
     * name the certificate does not hold.
     */
    public static DisposableBroker startWithTls(String subjectAltNames) {
        return start(true, null, subjectAltNames);
    }

    /**
     * Starts a fresh node with this Erlang cookie instead of one of its own: nodes that share a cookie can form a
     * cluster (see {@link DisposableCluster}).
     */
    static DisposableBroker startWithErlangCookie(String erlangCookie) {
        return start(false, erlangCookie);
    }

    private static DisposableBroker start(boolean tls) {
        return start(tls, null);
    }

    private static DisposableBroker start(boolean tls, String erlangCookie) {
        return start(tls, erlangCookie, "DNS:localhost,IP:127.0.0.1");
    }

    private static DisposableBroker start(boolean tls, String erlangCookie, String subjectAltNames) {
        String name = "fibtest-" + UUID.randomUUID().toString().substring(0, 8);
        DisposableBroker broker = new DisposableBroker(name + "@localhost", freePort(), freePort(),
                ROOT.resolve(name), scriptsFolder());
        Runtime.getRuntime().addShutdownHook(broker.killOnExit);
        try {
            if (tls) {
                broker.tlsPort = freePort();
                broker.makeCertificates(subjectAltNames);
            }
            broker.writeFiles();
            if (erlangCookie != null) {
                broker.writeErlangCookie(erlangCookie);
            }
            broker.launch();
        } catch (RuntimeException | Error e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    private static Path scriptsFolder() {
        String configured = System.getenv("RABBITMQ_SCRIPTS_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path packaged = Path.of("/usr/lib/rabbitmq/bin");
        if (Files.isExecutable(packaged.resolve("rabbitmq-server"))) {
            return packaged;
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String entry : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(entry, "rabbitmq-server");
            if (Files.isExecutable(candidate)) {
                try {
                    return candidate.toRealPath().getParent();
                } catch (IOException e) {
                    return candidate.getParent();
                }
            }
        }
        throw new IllegalStateException("rabbitmq-server is not installed (neither /usr/lib/rabbitmq/bin nor the "
                + "PATH has it): the fault tests start RabbitMQ nodes of their own. Install the rabbitmq-server "
                + "package (apt-get install rabbitmq-server), or set RABBITMQ_SCRIPTS_DIR to the folder of "
                + "rabbitmq-server and rabbitmqctl");
    }

    /** The variables the node and rabbitmqctl run with; nothing else of RabbitMQ's or Erlang's is inherited. */
    private Map<String, String> nodeEnvironment() {
        Map<String, String> environment = new LinkedHashMap<>();
        // the Erlang cookie is created in HOME: the node and rabbitmqctl share this one, and no one else's
        environment.put("HOME", folder.resolve("home").toString());
        environment.put("RABBITMQ_NODENAME", node);
        environment.put("RABBITMQ_CONF_ENV_FILE", folder.resolve("rabbitmq-env.conf").toString());
        environment.put("RABBITMQ_CONFIG_FILE", folder.resolve("rabbitmq.conf").toString());
        environment.put("RABBITMQ_ADVANCED_CONFIG_FILE", folder.resolve("advanced.config").toString());
        environment.put("RABBITMQ_ENABLED_PLUGINS_FILE", folder.resolve("enabled_plugins").toString());
        environment.put("RABBITMQ_MNESIA_BASE", folder.resolve("mnesia").toString());
        environment.put("RABBITMQ_LOG_BASE", folder.resolve("log").toString());
        environment.put("RABBITMQ_PID_FILE", pidFile().toString());
        environment.put("RABBITMQ_DIST_PORT", Integer.toString(distributionPort));
        // the node registers with the machine's epmd (port 4369), on the loopback interface only
        environment.put("ERL_EPMD_ADDRESS", "127.0.0.1");
        environment.put("ERL_FLAGS", "-kernel inet_dist_use_interface {127,0,0,1}");
        return environment;
    }

    private void writeFiles() {
        try {
            Files.createDirectories(folder.resolve("home"));
            Files.createDirectories(folder.resolve("mnesia"));
            Files.createDirectories(folder.resolve("log"));
            Files.writeString(folder.resolve("rabbitmq-env.conf"), "# this node's variables come from its environment\n");
            List<String> configuration = new ArrayList<>(List.of(
                    "listeners.tcp.local = 127.0.0.1:" + amqpPort,
                    "vm_memory_high_watermark.relative = " + DEFAULT_MEMORY_HIGH_WATERMARK,
                    "log.console = false",
                    "log.file.level = info"));
            if (tlsPort != 0) {
                Path tls = folder.resolve("tls");
                configuration.addAll(List.of(
                        "listeners.ssl.local = 127.0.0.1:" + tlsPort,
                        "ssl_options.cacertfile = " + tls.resolve("ca.pem"),
                        "ssl_options.certfile = " + tls.resolve("server.pem"),
                        "ssl_options.keyfile = " + tls.resolve("server.key"),
                        "ssl_options.verify = verify_none",
                        "ssl_options.fail_if_no_peer_cert = false"));
            }
            configuration.add("");
            Files.writeString(folder.resolve("rabbitmq.conf"), String.join("\n", configuration));
            // an empty list: no plugin, so no management listener on a port another node holds
            Files.writeString(folder.resolve("enabled_plugins"), "[].\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the files of " + node + " in " + folder, e);
        }
    }

    /** The cookie in the node's HOME, readable by its owner only, as Erlang requires. */
    private void writeErlangCookie(String erlangCookie) {
        Path cookie = folder.resolve("home").resolve(".erlang.cookie");
        try {
            Files.writeString(cookie, erlangCookie);
            Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Erlang cookie of " + node + " in " + cookie, e);
        }
    }

    /** A CA of the node's own and a server certificate for these names it signed (openssl, keytool). */
    private void makeCertificates(String subjectAltNames) {
        Path tls = folder.resolve("tls");
        try {
            Files.createDirectories(tls);
            Files.writeString(tls.resolve("server.ext"), "subjectAltName=" + subjectAltNames + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(tls, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=fibonacci-rpc test CA", "-keyout", "ca.key", "-out", "ca.pem");
        run(tls, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-keyout", "server.key", "-out", "server.csr");
        run(tls, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem");
        run(tls, "keytool", "-importcert", "-noprompt", "-alias", "test-ca", "-file", "ca.pem",
                "-keystore", "trust.p12", "-storetype", "PKCS12", "-storepass", TRUST_STORE_PASSWORD);
    }

    private static void run(Path directory, String... command) {
        Tools.run(directory, List.of(command));
    }

    /**
     * Gives the node's TLS listener a new certificate for these subject alternative names, signed by the same CA
     * with the same key, and restarts the RabbitMQ application so that new connections get it (the node's
     * connections are closed meanwhile, as with {@link #stopApp()}).
     */
    public void replaceTlsCertificate(String subjectAltNames) {
        Path tls = folder.resolve("tls");
        try {
            Files.writeString(tls.resolve("server.ext"), "subjectAltName=" + subjectAltNames + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(tls, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem");
        stopApp();
        rabbitmqctl("eval", "ssl:clear_pem_cache().");
        startApp();
    }

    /** The TLS (amqps) port of a node started with {@link #startWithTls()}. */
    public int tlsPort() {
        return tlsPort;
    }

    /** A PKCS12 trust store with the CA that signed this node's certificate; its password: "changeit". */
    public Path trustStore() {
        return folder.resolve("tls").resolve("trust.p12");
    }

    public static final String TRUST_STORE_PASSWORD = "changeit";

    private void launch() {
        run(List.of(script("rabbitmq-server").toString(), "-detached"), COMMAND_TIMEOUT);
        try {
            // waits for the pid file, the Erlang distribution, then the rabbit application
            rabbitmqctl("wait", pidFile().toString(), "--timeout", Long.toString(START_TIMEOUT.toSeconds()));
            readOsPid();
            awaitAmqp();
        } catch (RuntimeException e) {
            throw new IllegalStateException(node + " did not start; the end of its log:\n" + logTail(), e);
        }
    }

    private void readOsPid() {
        try {
            osPid = Long.parseLong(Files.readString(pidFile(), StandardCharsets.UTF_8).strip());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the pid file of " + node + ": " + pidFile(), e);
        }
    }

    private Path pidFile() {
        return folder.resolve("node.pid");
    }

    private Path script(String name) {
        return scripts.resolve(name);
    }

    public String nodeName() {
        return node;
    }

    public int amqpPort() {
        return amqpPort;
    }

    /**
     * The application's broker properties for TLS to this node ({@link #startWithTls}): its TLS port by this host
     * name, the node's CA as the trust store.
     */
    public Map<String, String> tlsApplicationProperties(String host) {
        Map<String, String> properties = applicationProperties();
        properties.put("rabbitmq.host", host);
        properties.put("rabbitmq.port", Integer.toString(tlsPort()));
        properties.put("rabbitmq.tls", "true");
        properties.put("rabbitmq.tls-trust-store", trustStore().toString());
        properties.put("rabbitmq.tls-trust-store-password", TRUST_STORE_PASSWORD);
        return properties;
    }

    /** The application's broker properties, pointing at this node. */
    public Map<String, String> applicationProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("rabbitmq.host", "127.0.0.1");
        properties.put("rabbitmq.port", Integer.toString(amqpPort));
        properties.put("rabbitmq.username", USERNAME);
        properties.put("rabbitmq.password", PASSWORD);
        properties.put("rabbitmq.vhost", VHOST);
        return properties;
    }

    /** The same settings as environment variables, for a separate process. */
    public Map<String, String> environment() {
        Map<String, String> environment = new LinkedHashMap<>();
        applicationProperties().forEach((key, value) ->
                environment.put(key.toUpperCase(Locale.ROOT).replace('.', '_'), value));
        return environment;
    }

    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(amqpPort);
        factory.setUsername(USERNAME);
        factory.setPassword(PASSWORD);
        factory.setVirtualHost(VHOST);
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(5000);
        return factory;
    }

    /** A new connection, named "fibonacci-rpc tests". */
    @Override
    public Connection connect() {
        return connect("fibonacci-rpc tests");
    }

    public Connection connect(String connectionName) {
        try {
            return connectionFactory().newConnection(connectionName);
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("cannot connect to " + node + " on port " + amqpPort, e);
        }
    }

    /**
     * Runs a bash script in which {@code rabbitmqctl} is this node's (as an operator types it), with these variables
     * set; its standard output, or an exception when it fails.
     */
    public String shell(String script, Map<String, String> variables) {
        String rabbitmqctl = "rabbitmqctl() { '" + script("rabbitmqctl") + "' -n '" + node + "' \"$@\"; }\n";
        return run(List.of("bash", "-euo", "pipefail", "-c", rabbitmqctl + script), COMMAND_TIMEOUT, variables);
    }

    /** Runs {@code rabbitmqctl -n <node> <arguments>}; its standard output, or an exception when it fails. */
    public String rabbitmqctl(String... arguments) {
        List<String> command = new ArrayList<>(List.of(script("rabbitmqctl").toString(), "-n", node));
        command.addAll(List.of(arguments));
        return run(command, COMMAND_TIMEOUT);
    }

    /** {@code rabbitmqctl list_<what>} as JSON rows of the items asked for. */
    public List<Map<String, Object>> list(String listCommand, String... items) {
        List<String> arguments = new ArrayList<>(List.of("--quiet", "--formatter", "json", listCommand));
        arguments.addAll(List.of(items));
        String output = rabbitmqctl(arguments.toArray(String[]::new));
        try {
            return JSON.readValue(output, new TypeReference<List<Map<String, Object>>>() {
            });
        } catch (IOException e) {
            throw new IllegalStateException("rabbitmqctl " + String.join(" ", arguments) + " printed no JSON list:\n"
                    + output, e);
        }
    }

    /** Stops the RabbitMQ application: every connection is closed, the port refuses new ones. */
    public void stopApp() {
        rabbitmqctl("stop_app");
    }

    /**
     * Pauses the node's Erlang VM (SIGSTOP): its sockets stay open and the kernel still accepts connections on its
     * ports, but it answers nothing until {@link #resume()}.
     */
    public void pause() {
        signal("STOP");
    }

    /** Resumes a node paused by {@link #pause()} (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    private void signal(String signal) {
        if (osPid < 0) {
            throw new IllegalStateException(node + " has no known OS process");
        }
        run(List.of("kill", "-" + signal, Long.toString(osPid)), COMMAND_TIMEOUT);
    }

    /** Starts the RabbitMQ application again; returns once the AMQP port accepts connections. */
    public void startApp() {
        rabbitmqctl("start_app");
        awaitAmqp();
    }

    /**
     * Wipes the node's data (queues, messages, definitions), as a broker that comes back without its disk
     * would; only while the application is stopped. The default user and vhost are created again on start.
     */
    public void reset() {
        rabbitmqctl("reset");
    }

    private void awaitAmqp() {
        try {
            await(node + " accepts AMQP connections").atMost(AMQP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        try (Connection connection = connectionFactory().newConnection("fibonacci-rpc probe")) {
                            return connection.isOpen();
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(node + " did not accept AMQP connections on port " + amqpPort
                    + " within " + AMQP_TIMEOUT.toSeconds() + " s; the end of its log:\n" + logTail(), e);
        }
    }

    /** Closes every client connection, with this reason; returns how many there were. */
    public int closeAllConnections(String reason) {
        return closeConnectionsMatching("", reason);
    }

    /**
     * Closes the client connections whose name (the one the client gave, such as {@code fibonacci-rpc gateway},
     * or else the broker's {@code peer -> broker}) contains this text; returns how many it closed.
     */
    public int closeConnectionsMatching(String namePart, String reason) {
        List<String> pids = connectionPidsMatching(namePart);
        pids.forEach(pid -> closeConnection(pid, reason));
        return pids.size();
    }

    /**
     * The pids, as {@code close_connection} takes them ({@code <node.N.N.N>}), of the client connections whose name
     * contains this text (as {@link #closeConnectionsMatching} matches them).
     */
    public List<String> connectionPidsMatching(String namePart) {
        List<String> matching = connections().entrySet().stream()
                .filter(connection -> connection.getValue().contains(namePart))
                .map(Map.Entry::getKey)
                .toList();
        if (matching.isEmpty()) {
            return List.of();
        }
        // close_connection takes the pid as the table output prints it, <node.N.N.N>, not as JSON does
        Map<String, String> pidsByName = new LinkedHashMap<>();
        rabbitmqctl("--quiet", "--no-table-headers", "list_connections", "name", "pid").lines()
                .map(line -> line.split("\t"))
                .filter(columns -> columns.length == 2)
                .forEach(columns -> pidsByName.put(columns[0], columns[1]));
        return matching.stream().map(pidsByName::get).filter(Objects::nonNull).toList();
    }

    /** {@code rabbitmqctl close_connection} of one connection, by its pid ({@link #connectionPidsMatching}). */
    public void closeConnection(String pid, String reason) {
        rabbitmqctl("close_connection", pid, reason);
    }

    /**
     * The client connections open now, in the whole cluster this node belongs to: the client's own name of each
     * (the broker's {@code peer -> broker} where it gave none) to the name of the node it is connected to.
     */
    public Map<String, String> connectionNodes() {
        // the table output prints a pid with the name of its node, <node.N.N.N>; JSON does not
        Map<String, String> nodeByName = new LinkedHashMap<>();
        rabbitmqctl("--quiet", "--no-table-headers", "list_connections", "name", "pid").lines()
                .map(line -> line.split("\t"))
                .filter(columns -> columns.length == 2)
                .forEach(columns -> nodeByName.put(columns[0], nodeOfPid(columns[1])));
        // of several connections with one client name (an application stopped in this JVM may leave its own
        // open), the one that connected last
        Map<String, String> nodes = new LinkedHashMap<>();
        Map<String, Long> connectedAt = new LinkedHashMap<>();
        for (Map<String, Object> connection : list("list_connections", "name", "client_properties", "connected_at")) {
            String name = String.valueOf(connection.get("name"));
            String clientName = Rabbitmqctl.clientGivenName(connection.get("client_properties")).orElse(name);
            long at = connection.get("connected_at") instanceof Number number ? number.longValue() : 0;
            if (nodeByName.containsKey(name) && at >= connectedAt.getOrDefault(clientName, Long.MIN_VALUE)) {
                connectedAt.put(clientName, at);
                nodes.put(clientName, nodeByName.get(name));
            }
        }
        return nodes;
    }

    private static String nodeOfPid(String pid) {
        Matcher matcher = NODE_OF_PID.matcher(pid.strip());
        if (!matcher.matches()) {
            throw new IllegalStateException("rabbitmqctl printed an unexpected pid: " + pid);
        }
        return matcher.group(1);
    }

    /** The names of the client connections open now: the client's own name where it gave one. */
    public List<String> connectionNames() {
        return List.copyOf(connections().values());
    }

    /** The client connections open now: the broker's name of each ({@code peer -> broker}) to its own name. */
    private Map<String, String> connections() {
        Map<String, String> connections = new LinkedHashMap<>();
        for (Map<String, Object> connection : list("list_connections", "name", "client_properties")) {
            String name = String.valueOf(connection.get("name"));
            connections.put(name, Rabbitmqctl.clientGivenName(connection.get("client_properties")).orElse(name));
        }
        return connections;
    }


    /**
     * Sets the memory high watermark, as a fraction of the machine's memory: a tiny one (0.000001) raises
     * the memory alarm at once, which blocks every publishing connection; {@link #DEFAULT_MEMORY_HIGH_WATERMARK}
     * clears it.
     */
    public void setMemoryHighWatermark(double fraction) {
        rabbitmqctl("set_vm_memory_high_watermark", BigDecimal.valueOf(fraction).toPlainString());
    }

    /** The alarms in effect on the node, as rabbitmqctl names them (for example {@code memory}); none is empty. */
    public List<String> alarms() {
        String output = rabbitmqctl("--quiet", "eval", "[Resource || {{resource_limit, Resource, _}, _} "
                + "<- rabbit_alarm:get_alarms()].");
        String list = output.strip();
        if (list.equals("[]")) {
            return List.of();
        }
        return List.of(list.substring(1, list.length() - 1).split(","));
    }

    /** The node's log file. */
    public Path logFile() {
        return folder.resolve("log").resolve(node + ".log");
    }

    /** The last lines of the node's log, for failure messages. */
    public String logTail() {
        Path log = logFile();
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Stops the node (forcibly if it does not stop in time) and deletes its folder. */
    @Override
    public void close() {
        try {
            if (Files.exists(pidFile())) {
                // waits until the node's OS process has exited
                rabbitmqctl("stop", pidFile().toString());
            }
        } catch (RuntimeException e) {
            System.err.println("could not stop " + node + " with rabbitmqctl, killing it: " + e.getMessage());
        } finally {
            killNode();
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs anyway
            }
            deleteFolder();
        }
    }

    /** Kills the node's OS process if it still runs (SIGKILL): the last resort of {@link #close} and of exit. */
    private void killNode() {
        if (osPid < 0 && Files.exists(pidFile())) {
            try {
                readOsPid();
            } catch (RuntimeException e) {
                return;
            }
        }
        ProcessHandle.of(osPid).ifPresent(process -> {
            process.destroyForcibly();
            process.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        });
    }

    private void deleteFolder() {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + folder + ": " + e);
        }
    }

    private String run(List<String> command, Duration timeout) {
        return run(command, timeout, Map.of());
    }

    private String run(List<String> command, Duration timeout, Map<String, String> variables) {
        Path output = null;
        Path errors = null;
        try {
            output = Files.createTempFile("disposable-broker", ".out");
            errors = Files.createTempFile("disposable-broker", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(folder.toFile())
                    .redirectOutput(output.toFile())
                    .redirectError(errors.toFile());
            builder.environment().keySet().removeIf(key -> key.startsWith("RABBITMQ_") || key.startsWith("ERL_"));
            builder.environment().putAll(nodeEnvironment);
            builder.environment().putAll(variables);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in "
                        + timeout.toSeconds() + " s");
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with status "
                        + process.exitValue() + ":\n" + out + Files.readString(errors, StandardCharsets.UTF_8));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        } finally {
            deleteQuietly(output);
            deleteQuietly(errors);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return node + " (AMQP port " + amqpPort + ", distribution port " + distributionPort + ")";
    }
}
