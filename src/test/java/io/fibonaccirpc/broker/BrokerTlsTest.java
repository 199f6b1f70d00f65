package io.fibonaccirpc.broker;

import java.net.http.HttpResponse;
import java.util.Map;

import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;

import static io.fibonaccirpc.support.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS to the broker: rabbitmq.tls with a trust store of the broker's CA, and the host name verified. */
class BrokerTlsTest {

    @Test
    void the_application_talks_to_the_broker_over_tls_when_configured() {
        try (DisposableBroker broker = DisposableBroker.startWithTls()) {
            Map<String, String> properties = RunningApplication.isolatedProperties(RunningApplication.newQueueName());
            properties.putAll(broker.tlsApplicationProperties("localhost"));
            try (RunningApplication application = RunningApplication.start(properties)) {
                HttpResponse<String> response = get(application.uri("/fib/30"));

                assertEquals(200, response.statusCode(), response.body());
                assertEquals("832040", response.body());
                // the application's are the only connections to this node: every one of them is TLS
                String connections = broker.rabbitmqctl("--quiet", "--no-table-headers", "list_connections", "name", "ssl");
                assertTrue(connections.lines().findAny().isPresent(), "no connection listed");
                assertTrue(connections.lines().allMatch(line -> line.endsWith("\ttrue")), connections);
            }
        }
    }
}
