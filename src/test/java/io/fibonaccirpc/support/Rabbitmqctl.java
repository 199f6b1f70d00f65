package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the broker itself says about its connections, through {@code rabbitmqctl}: the figures AMQP clients
 * cannot see, such as which connections consume a queue and how many bytes each has sent. The command is
 * {@code rabbitmqctl} on the PATH, or the RABBITMQCTL environment variable (space-separated, for example
 * {@code docker exec some-rabbit rabbitmqctl}); it must reach the broker of {@link TestBroker}.
 */
public final class Rabbitmqctl {

    private static final long TIMEOUT_SECONDS = 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PID = Pattern.compile("#PID<\\d+\\.(\\d+\\.\\d+)>");

    private final List<String> command;
    private final String vhost;

    public Rabbitmqctl(String vhost) {
        String configured = System.getenv("RABBITMQCTL");
        this.command = configured == null || configured.isBlank()
                ? List.of("rabbitmqctl") : Arrays.asList(configured.strip().split("\\s+"));
        this.vhost = vhost;
    }

    /** For the vhost of {@link TestBroker}. */
    public static Rabbitmqctl forTestBroker() {
        return new Rabbitmqctl(TestBroker.get().applicationProperties().get("rabbitmq.vhost"));
    }

    /**
     * The connections that have a consumer on this queue, each with the bytes the broker has received on it
     * so far (for a server: its replies and acknowledgements), by connection name ({@code peer -> broker}).
     */
    public Map<String, Long> bytesReceivedFromConsumersOf(String queue) {
        Set<String> channels = list("list_consumers", "queue_name", "channel_pid").stream()
                .filter(consumer -> queue.equals(consumer.get("queue_name")))
                .map(consumer -> localPid(consumer.get("channel_pid")))
                .collect(Collectors.toSet());
        Set<String> connections = list("list_channels", "pid", "connection").stream()
                .filter(channel -> channels.contains(localPid(channel.get("pid"))))
                .map(channel -> localPid(channel.get("connection")))
                .collect(Collectors.toSet());
        Map<String, Long> bytes = new TreeMap<>();
        for (Map<String, Object> connection : list("list_connections", "pid", "name", "recv_oct")) {
            if (connections.contains(localPid(connection.get("pid")))) {
                bytes.put((String) connection.get("name"), ((Number) connection.get("recv_oct")).longValue());
            }
        }
        return bytes;
    }

    /**
     * An Erlang pid as printed by one rabbitmqctl run, {@code #PID<12576.2691.0>}, without its first part: that
     * numbers the broker's node as seen from the short-lived rabbitmqctl node and changes from run to run.
     * The rest identifies the process on a single-node broker.
     */
    private static String localPid(Object pid) {
        Matcher matcher = PID.matcher(String.valueOf(pid));
        if (!matcher.matches()) {
            throw new IllegalStateException("rabbitmqctl printed an unexpected pid: " + pid);
        }
        return matcher.group(1);
    }

    /** The client-given names (connection_name) of the connections open now, one entry per connection. */
    public List<String> connectionNames() {
        return list("list_connections", "client_properties").stream()
                .map(connection -> clientGivenName(connection.get("client_properties")).orElse(""))
                .toList();
    }

    /** connection_name in client properties, which JSON shows as [["connection_name","longstr","the name"], ...]. */
    static Optional<String> clientGivenName(Object clientProperties) {
        if (clientProperties instanceof List<?> properties) {
            for (Object property : properties) {
                if (property instanceof List<?> entry && entry.size() == 3
                        && "connection_name".equals(entry.get(0)) && entry.get(2) instanceof String name) {
                    return Optional.of(name);
                }
            }
        }
        return Optional.empty();
    }

    /** One {@code rabbitmqctl list_*} command, its rows as maps of the items asked for. */
    public List<Map<String, Object>> list(String listCommand, String... items) {
        List<String> arguments = new ArrayList<>(command);
        arguments.addAll(List.of("--quiet", "--formatter", "json", listCommand, "--vhost", vhost,
                "--timeout", Long.toString(TIMEOUT_SECONDS)));
        arguments.addAll(List.of(items));
        String output = run(arguments);
        try {
            return JSON.readValue(output, new TypeReference<List<Map<String, Object>>>() {
            });
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", arguments) + " printed no JSON list:\n" + output, e);
        }
    }

    private static String run(List<String> arguments) {
        Path errors = null;
        try {
            errors = Files.createTempFile("rabbitmqctl", ".err");
            Process process = new ProcessBuilder(arguments).redirectError(errors.toFile()).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS + 10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", arguments) + " did not finish in "
                        + TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", arguments) + " failed with status "
                        + process.exitValue() + ":\n" + Files.readString(errors, StandardCharsets.UTF_8));
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", arguments)
                    + " (set RABBITMQCTL to a command that reaches the test broker)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", arguments), e);
        } finally {
            if (errors != null) {
                try {
                    Files.deleteIfExists(errors);
                } catch (IOException e) {
                    // a temporary file left behind
                }
            }
        }
    }
}
