package io.fibonaccirpc.broker;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.fibonaccirpc.support.Http.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RABBITMQ_TLS verifies the broker's host name, not only its certificate's chain: a broker whose certificate, signed
 * by the trusted CA, names only {@code localhost} is refused when the application connects to it by 127.0.0.1, at
 * start (the start fails, saying so) and on a reconnection (readiness DOWN with the reason, calls 503).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerTlsHostNameTest {

    private static final String NOT_THE_HOST = "DNS:localhost";

    @Test
    void an_application_started_against_a_broker_whose_certificate_does_not_name_the_host_fails_to_start_saying_so() {
        try (DisposableBroker broker = DisposableBroker.startWithTls(NOT_THE_HOST)) {
            RuntimeException failure = assertThrows(RuntimeException.class,
                    () -> RunningApplication.start(tlsProperties(broker)).close());

            SSLHandshakeException handshake = cause(failure, SSLHandshakeException.class);
            System.out.println("the start failed: " + failure);
            assertTrue(handshake.getMessage().contains("127.0.0.1"), "names the host: " + handshake.getMessage());
            assertEquals("", broker.rabbitmqctl("--quiet", "--no-table-headers", "list_connections", "name").strip(),
                    "no connection was opened");
        }
    }

    @Test
    void after_a_reconnection_to_a_certificate_that_does_not_name_the_host_readiness_is_down_and_calls_get_503() {
        try (DisposableBroker broker = DisposableBroker.startWithTls();
             RunningApplication application = RunningApplication.start(tlsProperties(broker))) {
            HttpResponse<String> before = get(application.uri("/fib/30"));
            assertEquals(200, before.statusCode(), before.body());

            broker.replaceTlsCertificate(NOT_THE_HOST);

            HttpResponse<String> ready = await("readiness says why").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> get(application.uri("/observe/health/ready")),
                            response -> response.body().contains("cannot connect to the broker"));
            System.out.println("readiness with a certificate for another host: " + ready.body());
            assertEquals(503, ready.statusCode(), ready.body());
            assertEquals("DOWN", Http.json(ready.body()).get("status"));
            assertTrue(ready.body().contains("127.0.0.1"), "the message names the host the certificate lacks: "
                    + ready.body());
            HttpResponse<String> call = get(application.uri("/fib/30"));
            assertEquals(503, call.statusCode(), call.body());
            assertEquals("urn:fibonacci-rpc:problem:broker-unavailable", Http.json(call.body()).get("type"), call.body());
            assertEquals("", broker.rabbitmqctl("--quiet", "--no-table-headers", "list_connections", "name").strip(),
                    "no connection was opened");
        }
    }

    private static Map<String, String> tlsProperties(DisposableBroker broker) {
        Map<String, String> properties = RunningApplication.isolatedProperties(RunningApplication.newQueueName());
        properties.putAll(broker.tlsApplicationProperties("127.0.0.1"));
        return properties;
    }

    private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the failure", failure);
    }
}
