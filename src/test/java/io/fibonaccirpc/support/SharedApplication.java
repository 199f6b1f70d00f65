package io.fibonaccirpc.support;

import java.net.URI;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One application for the tests of a class ({@code @RegisterExtension static}): started before them on a queue of
 * its own, stopped after them, its queues deleted. Each test also gets a fresh queue name ({@link #ownQueue}) for an
 * application it starts itself; that queue and its dead-letter queue are deleted after the test.
 */
public final class SharedApplication implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {

    private final Supplier<Map<String, String>> properties;
    private RunningApplication running;
    private volatile String ownQueue = RunningApplication.newQueueName();

    private SharedApplication(Supplier<Map<String, String>> properties) {
        this.properties = properties;
    }

    /** The application with {@link RunningApplication#isolatedProperties} of a new queue. */
    public static SharedApplication isolated() {
        return with(() -> RunningApplication.isolatedProperties(RunningApplication.newQueueName()));
    }

    /** The application with these properties, made as the class's tests start. */
    public static SharedApplication with(Supplier<Map<String, String>> properties) {
        return new SharedApplication(properties);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        running = RunningApplication.start(properties.get());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        running.close();
        TestBroker.get().deleteQueues(running.queue(), running.deadLetterQueue());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        TestBroker.get().deleteQueues(ownQueue, ownQueue + ".dead-letters");
        ownQueue = RunningApplication.newQueueName();
    }

    public RunningApplication running() {
        return running;
    }

    /** The queue of the running test's own application, if it starts one. */
    public String ownQueue() {
        return ownQueue;
    }

    public URI uri(String path) {
        return running.uri(path);
    }

    public String queue() {
        return running.queue();
    }

    public String deadLetterQueue() {
        return running.deadLetterQueue();
    }

    public CamelContext camelContext() {
        return running.camelContext();
    }
}
