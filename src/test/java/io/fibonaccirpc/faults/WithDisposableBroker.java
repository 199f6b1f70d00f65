package io.fibonaccirpc.faults;

import io.fibonaccirpc.support.DisposableBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A fault test class: it injects its faults into a RabbitMQ node of its own, started before its tests and
 * stopped (and deleted) after them, so that no fault reaches the broker other tests use.
 */
abstract class WithDisposableBroker {

    static DisposableBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = DisposableBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
