package io.fibonaccirpc.support;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * The RabbitMQ broker of the tests: a Testcontainers broker when Docker works, else the local broker given by
 * RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USERNAME, RABBITMQ_PASSWORD and RABBITMQ_VHOST (defaults: 127.0.0.1,
 * 5672, guest, guest, /). TEST_BROKER=local skips the Docker check.
 */
public final class TestBroker implements Broker {

    private static final String IMAGE = "rabbitmq:3.13";
    private static final TestBroker INSTANCE = start();

    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final String vhost;

    private TestBroker(String host, int port, String username, String password, String vhost) {
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.vhost = vhost;
    }

    public static TestBroker get() {
        return INSTANCE;
    }

    private static TestBroker start() {
        if (!"local".equalsIgnoreCase(System.getenv("TEST_BROKER")) && dockerWorks()) {
            RabbitMQContainer container = new RabbitMQContainer(IMAGE);
            container.start();
            return new TestBroker(container.getHost(), container.getAmqpPort(), container.getAdminUsername(),
                    container.getAdminPassword(), "/");
        }
        return new TestBroker(env("RABBITMQ_HOST", "127.0.0.1"), Integer.parseInt(env("RABBITMQ_PORT", "5672")),
                env("RABBITMQ_USERNAME", "guest"), env("RABBITMQ_PASSWORD", "guest"), env("RABBITMQ_VHOST", "/"));
    }

    private static boolean dockerWorks() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** The application's broker properties, pointing at this broker. */
    public Map<String, String> applicationProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("rabbitmq.host", host);
        properties.put("rabbitmq.port", Integer.toString(port));
        properties.put("rabbitmq.username", username);
        properties.put("rabbitmq.password", password);
        properties.put("rabbitmq.vhost", vhost);
        return properties;
    }

    /** The same broker settings as environment variables, for a separate process. */
    public Map<String, String> environment() {
        Map<String, String> environment = new LinkedHashMap<>();
        applicationProperties().forEach((key, value) -> environment.put(key.toUpperCase().replace('.', '_'), value));
        return environment;
    }

    /** A plain RabbitMQ Java client factory for this broker. */
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(host);
        factory.setPort(port);
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(vhost);
        return factory;
    }

    @Override
    public Connection connect() {
        try {
            return connectionFactory().newConnection("fibonacci-rpc tests");
        } catch (IOException | TimeoutException e) {
            throw new IllegalStateException("cannot reach the test broker at " + host + ":" + port, e);
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }
}
