package io.fibonaccirpc.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;

import io.fibonaccirpc.FibonacciRpcApplication;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * The application started in this JVM as {@code main()} starts it (the same JVM setting, Main, routes and
 * application.properties; the JVM's collector is scripts/run's, by surefire's argLine), on the test broker, a free
 * HTTP port and a queue of its own. What only a process of its own shows (a signal, its JVM flags, its exit) is
 * tested on the jar with {@link ApplicationProcess}.
 */
public final class RunningApplication implements AutoCloseable {

    private final Main main;
    private final Map<String, String> properties;

    private RunningApplication(Main main, Map<String, String> properties) {
        this.main = main;
        this.properties = properties;
    }

    /** A fresh queue name, so tests never see each other's requests. */
    public static String newQueueName() {
        return "rpc_queue.test." + UUID.randomUUID();
    }

    /** Properties that give an application its own queue, dead-letter queue and HTTP port on the test broker. */
    public static Map<String, String> isolatedProperties(String queue) {
        Map<String, String> properties = new LinkedHashMap<>(TestBroker.get().applicationProperties());
        properties.put("rpc.queue", queue);
        properties.put("rpc.dead-letter-queue", queue + ".dead-letters");
        properties.put("http.host", "127.0.0.1");
        properties.put("http.port", Integer.toString(freePort()));
        return properties;
    }

    /** Starts the application with these property overrides; returns when its routes have started. */
    public static RunningApplication start(Map<String, String> properties) {
        FibonacciRpcApplication.prepareJvm();
        int parallelism = Integer.parseInt(System.getProperty(FibonacciRpcApplication.COMMON_POOL_PARALLELISM));
        if (ForkJoinPool.getCommonPoolParallelism() != parallelism) {
            throw new IllegalStateException("the common pool of this JVM was made before main()'s setting ("
                    + parallelism + "), with a parallelism of " + ForkJoinPool.getCommonPoolParallelism()
                    + ": is ProductionJvm registered as a LauncherSessionListener?");
        }
        Main main = FibonacciRpcApplication.newMain();
        properties.forEach(main::addOverrideProperty);
        try {
            main.start();
        } catch (RuntimeException e) {
            main.stop();
            throw e;
        }
        return new RunningApplication(main, Map.copyOf(properties));
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    public String property(String key) {
        return properties.get(key);
    }

    public String queue() {
        return properties.get("rpc.queue");
    }

    public String deadLetterQueue() {
        return properties.get("rpc.dead-letter-queue");
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + properties.get("http.port") + path);
    }

    @Override
    public void close() {
        main.stop();
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
