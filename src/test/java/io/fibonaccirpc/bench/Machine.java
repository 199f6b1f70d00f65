package io.fibonaccirpc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import com.rabbitmq.client.Connection;

/** What the figures were measured on: the machine, and the versions of everything in the path. */
final class Machine {

    private Machine() {
    }

    static Map<String, String> describe(Connection broker) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("CPU", Runtime.getRuntime().availableProcessors() + " cores (nproc), "
                + procLine("/proc/cpuinfo", "model name").orElse("model unknown"));
        facts.put("memory", procLine("/proc/meminfo", "MemTotal")
                .map(total -> String.format("%.1f GiB", Long.parseLong(total.replaceAll("\\D", "")) / 1048576.0))
                .orElse("unknown"));
        facts.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        facts.put("Java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        Map<String, Object> server = broker.getServerProperties();
        facts.put("RabbitMQ", server.get("version") + " (" + server.get("platform") + ")");
        facts.put("Camel", mavenVersion("org.apache.camel", "camel-api"));
        facts.put("RabbitMQ Java client", mavenVersion("com.rabbitmq", "amqp-client"));
        facts.put("wrk", Wrk.version());
        return facts;
    }

    private static Optional<String> procLine(String file, String key) {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .filter(line -> line.startsWith(key))
                    .map(line -> line.substring(line.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The version in a jar's Maven metadata on the class path. */
    private static String mavenVersion(String groupId, String artifactId) {
        String resource = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
        try (InputStream in = Machine.class.getResourceAsStream(resource)) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
