package io.fibonaccirpc.broker;

import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A list of broker addresses (rabbitmq.addresses), as for the nodes of a cluster, in place of one host and port. */
class BrokerAddressesTest {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    /** The host and port lead nowhere, as do two of the three addresses: only the test broker answers. */
    @Test
    void given_several_addresses_the_application_connects_to_one_that_answers() {
        TestBroker broker = TestBroker.get();
        int nowhere = RunningApplication.freePort();
        String addresses = "127.0.0.1:" + nowhere + "," + broker.host() + ":" + broker.port() + ",127.0.0.1:"
                + RunningApplication.freePort();
        Map<String, String> properties = new HashMap<>(RunningApplication.isolatedProperties(queue));
        properties.put("rabbitmq.host", "127.0.0.1");
        properties.put("rabbitmq.port", Integer.toString(nowhere));
        properties.put("rabbitmq.addresses", addresses);

        try (RunningApplication application = RunningApplication.start(properties)) {
            for (int n = 90; n < 95; n++) {
                HttpResponse<String> response = get(application.uri("/fib/" + n));
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(new Fibonacci(Fibonacci.DEFAULT_MAX_N).of(n).toString(), response.body());
            }
            assertEquals(2, broker.consumerCount(queue), "the server consumes on the broker that answers");
        }
    }
}
