package io.fibonaccirpc.faults;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Liveness and readiness over HTTP, on the application's own port: ready while the routes run and the broker can
 * be reached; not ready while the broker is stopped ({@code rabbitmqctl stop_app}) or a route is stopped, and
 * ready again once they are back; alive all along.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthTest extends WithDisposableBroker {

    private static final Duration DOWN_WITHIN = Duration.ofSeconds(10);
    /** At the start, or after a route is started again. */
    private static final Duration UP_WITHIN = Duration.ofSeconds(30);
    /** The README: readiness UP again, and calls answered, within a second of the broker's return. */
    private static final Duration UP_AFTER_THE_BROKER = Duration.ofSeconds(1);

    private final String queue = RunningApplication.newQueueName();
    private RunningApplication application;

    @AfterEach
    void stopApplication() {
        if (application != null) {
            application.close();
        }
        broker.deleteQueues(queue, queue + ".dead-letters");
    }

    @Test
    void readiness_is_down_while_the_broker_is_stopped_and_up_again_after_it_restarts_liveness_stays_up() {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "all", 3000));
        awaitStatus("/observe/health/ready", 200, UP_WITHIN);
        assertUp(get("/observe/health"));
        assertUp(get("/observe/health/live"));

        broker.stopApp();
        try {
            HttpResponse<String> notReady = awaitStatus("/observe/health/ready", 503, DOWN_WITHIN);
            assertEquals("DOWN", Http.json(notReady.body()).get("status"));
            assertTrue(notReady.body().contains("\"broker\""), "the broker check says why: " + notReady.body());
            assertUp(get("/observe/health/live"));
            assertEquals(503, get("/fib/10").statusCode(), "calls fail fast meanwhile");
        } finally {
            broker.startApp();
        }

        awaitStatus("/observe/health/ready", 200, UP_AFTER_THE_BROKER);
        assertUp(get("/observe/health/live"));
        await("a call answered").atMost(UP_AFTER_THE_BROKER).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/fib/10").body(), "55"::equals);
    }

    @Test
    void readiness_is_down_while_a_route_is_stopped() throws Exception {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "all", 3000));
        awaitStatus("/observe/health/ready", 200, UP_WITHIN);

        application.camelContext().getRouteController().stopRoute("fibonacci-server");
        HttpResponse<String> notReady = awaitStatus("/observe/health/ready", 503, DOWN_WITHIN);
        assertTrue(notReady.body().contains("fibonacci-server"), notReady.body());

        application.camelContext().getRouteController().startRoute("fibonacci-server");
        awaitStatus("/observe/health/ready", 200, UP_WITHIN);
    }

    /** No server is a 503 per call (it ends when a server starts), not a reason to take the gateway out. */
    @Test
    void a_gateway_that_no_server_answers_is_ready() {
        application = RunningApplication.start(FaultApplications.properties(broker, queue, "gateway", 3000));

        awaitStatus("/observe/health/ready", 200, UP_WITHIN);
        HttpResponse<String> call = get("/fib/10");
        assertEquals(503, call.statusCode());
        assertEquals("urn:fibonacci-rpc:problem:no-queue", Http.json(call.body()).get("type"));
    }

    private HttpResponse<String> awaitStatus(String path, int status, Duration within) {
        return await(path + " answers " + status).atMost(within).pollInterval(Duration.ofMillis(50))
                .until(() -> get(path), response -> response.statusCode() == status);
    }

    private HttpResponse<String> get(String path) {
        return Http.get(application.uri(path));
    }

    private static void assertUp(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        Map<String, Object> health = Http.json(response.body());
        assertEquals("UP", health.get("status"), response.body());
    }
}
