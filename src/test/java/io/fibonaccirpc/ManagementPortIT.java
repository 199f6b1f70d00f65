package io.fibonaccirpc;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CAMEL_MANAGEMENT_PORT, as an operator sets it, in the environment of the packaged jar: health and metrics answer on
 * that port, and not on HTTP_PORT, which keeps the calls.
 */
class ManagementPortIT {

    private final String queue = RunningApplication.newQueueName();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void camel_management_port_in_the_environment_moves_health_and_metrics_to_a_listener_of_their_own() {
        int httpPort = RunningApplication.freePort();
        int managementPort = RunningApplication.freePort();
        try (ApplicationProcess application = ApplicationProcess.start("management-port", Map.of(
                "RPC_ROLE", "gateway",
                "RPC_QUEUE", queue,
                "HTTP_PORT", Integer.toString(httpPort),
                "CAMEL_MANAGEMENT_PORT", Integer.toString(managementPort)))) {
            URI management = URI.create("http://127.0.0.1:" + managementPort);
            URI business = URI.create("http://127.0.0.1:" + httpPort);

            HttpResponse<String> ready = await("readiness on the management port").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> Http.get(management.resolve("/observe/health/ready")), response -> response.statusCode() == 200);
            assertEquals("UP", Http.json(ready.body()).get("status"), ready.body());
            assertEquals(200, Http.get(management.resolve("/observe/health/live")).statusCode());
            HttpResponse<String> metrics = Http.get(management.resolve("/observe/metrics"));
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("fibonacci_rpc_gateway_calls_total"), "the application's meters");

            for (String path : new String[] { "/observe/health/ready", "/observe/health/live", "/observe/metrics" }) {
                assertEquals(404, Http.get(business.resolve(path)).statusCode(), path + " on HTTP_PORT");
            }
            HttpResponse<String> call = Http.get(business.resolve("/fib/abc"));
            assertEquals(400, call.statusCode(), "calls on HTTP_PORT: " + call.body());
            assertEquals(404, Http.get(management.resolve("/fib/abc")).statusCode(), "no calls on the management port");
        }
    }

    @Test
    void camel_management_host_binds_the_management_listener_to_that_address_only() {
        int httpPort = RunningApplication.freePort();
        int managementPort = RunningApplication.freePort();
        // another loopback address than the business listener's 127.0.0.1: as an internal interface would be
        try (ApplicationProcess application = ApplicationProcess.start("management-host", Map.of(
                "RPC_ROLE", "gateway",
                "RPC_QUEUE", queue,
                "HTTP_PORT", Integer.toString(httpPort),
                "CAMEL_MANAGEMENT_PORT", Integer.toString(managementPort),
                "CAMEL_MANAGEMENT_HOST", "127.0.0.2"))) {
            URI management = URI.create("http://127.0.0.2:" + managementPort);
            HttpResponse<String> live = await("liveness on the management host").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> Http.get(management.resolve("/observe/health/live")), response -> response.statusCode() == 200);
            assertEquals("UP", Http.json(live.body()).get("status"), live.body());
            assertThrows(UncheckedIOException.class,
                    () -> Http.get(URI.create("http://127.0.0.1:" + managementPort + "/observe/health/live")),
                    "the management port listens on CAMEL_MANAGEMENT_HOST only");
            assertEquals(404, Http.get(application.uri("/observe/metrics")).statusCode(), "not on the business port");
        }
    }
}
