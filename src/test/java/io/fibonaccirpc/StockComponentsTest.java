package io.fibonaccirpc;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.AmqpRpcCaller;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.SharedApplication;
import io.fibonaccirpc.support.Scrape;
import io.fibonaccirpc.support.SilentServer;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.tuning.GatedHttpServer;
import org.apache.camel.component.platform.http.DefaultPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.springrabbit.DefaultListenerContainerFactory;
import org.apache.camel.component.springrabbit.SpringRabbitMQComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.fibonaccirpc.support.Http.get;
import static io.fibonaccirpc.support.Http.json;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rpc.tuning=false}: the same routes on the stock components (Camel's platform-http consumer, Spring's
 * template on direct reply-to, Camel's listener containers, camel-main's HTTP server) answer as the tuned ones do:
 * the value, the problems of a bad {@code n}, of no queue and of a silent server, the tutorial's caller, the metrics.
 */
class StockComponentsTest {

    @RegisterExtension
    static final SharedApplication application = SharedApplication.with(() -> stock(RunningApplication.newQueueName(), "all"));

    private final String queue = application.ownQueue();

    @Test
    void the_routes_run_on_the_stock_components() {
        var camel = application.camelContext();
        var httpConsumer = (DefaultPlatformHttpConsumer) camel.getRoute("fibonacci-gateway").getConsumer();
        assertEquals(VertxPlatformHttpConsumer.class, httpConsumer.getPlatformHttpConsumer().getClass());
        assertEquals(DefaultListenerContainerFactory.class, camel.getComponent("spring-rabbitmq",
                SpringRabbitMQComponent.class).getListenerContainerFactory().getClass());
        assertNull(camel.hasService(GatedHttpServer.class), "camel-main's own HTTP server");
        assertEquals(200, get(application.uri("/observe/health/ready")).statusCode());
    }

    @Test
    void a_call_is_answered_with_the_value_and_counted() {
        Scrape before = Scrape.of(application.uri("/observe/metrics"));

        HttpResponse<String> text = get(application.uri("/fib/30"));
        HttpResponse<String> asJson = get(application.uri("/fib/30"), "Accept", "application/json");

        assertEquals(200, text.statusCode());
        assertEquals("832040", text.body());
        assertEquals(200, asJson.statusCode());
        assertEquals(Map.of("n", 30, "fibonacci", "832040"), json(asJson.body()));
        // recorded as each exchange is done (Camel's consumer tells no response listener)
        await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(application.uri("/observe/metrics"))
                .value("fibonacci_rpc_gateway_calls_total", "outcome", "ok")
                - before.value("fibonacci_rpc_gateway_calls_total", "outcome", "ok") == 2);
    }

    @Test
    void a_bad_n_is_refused_before_anything_is_published() {
        Scrape before = Scrape.of(application.uri("/observe/metrics"));

        HttpResponse<String> notANumber = get(application.uri("/fib/abc"));
        HttpResponse<String> tooLarge = get(application.uri("/fib/100001"));

        assertEquals(400, notANumber.statusCode());
        assertEquals("urn:fibonacci-rpc:problem:invalid-argument", json(notANumber.body()).get("type"));
        assertEquals(400, tooLarge.statusCode());
        assertEquals("urn:fibonacci-rpc:problem:out-of-range", json(tooLarge.body()).get("type"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(application.uri("/observe/metrics"))
                .value("fibonacci_rpc_gateway_calls_total", "outcome", "invalid")
                - before.value("fibonacci_rpc_gateway_calls_total", "outcome", "invalid") == 2);
    }

    @Test
    void the_tutorials_caller_gets_its_reply_from_the_stock_server() throws Exception {
        try (AmqpRpcCaller caller = AmqpRpcCaller.withCallbackQueue(application.queue())) {
            AmqpRpcCaller.Reply reply = caller.call("10").get(10, TimeUnit.SECONDS);

            assertEquals("55", reply.body());
        }
    }

    /** Spring's template on direct reply-to waits the configured timeout; the request carries no deadline. */
    @Test
    void a_silent_server_is_a_504_after_the_configured_timeout() {
        try (SilentServer silent = SilentServer.on(queue);
             RunningApplication gateway = RunningApplication.start(stock(queue, "gateway", "rpc.reply-timeout", "1500"))) {
            long started = System.nanoTime();
            HttpResponse<String> response = get(gateway.uri("/fib/7"));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertEquals(504, response.statusCode());
            assertEquals("urn:fibonacci-rpc:problem:reply-timeout", json(response.body()).get("type"));
            assertTrue(waitedMillis >= 1400 && waitedMillis < 4500, "waited " + waitedMillis + " ms");
            var request = silent.received().get(0).getProperties();
            assertTrue(request.getReplyTo().startsWith(AmqpRpcCaller.DIRECT_REPLY_TO), request.getReplyTo());
            assertNull(request.getExpiration());
        }
    }

    @Test
    void a_missing_queue_is_a_503_at_once() {
        try (RunningApplication gateway = RunningApplication.start(stock(queue, "gateway"))) {
            long started = System.nanoTime();
            HttpResponse<String> response = get(gateway.uri("/fib/7"));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

            assertEquals(503, response.statusCode());
            assertEquals("urn:fibonacci-rpc:problem:no-queue", json(response.body()).get("type"));
            assertTrue(waitedMillis < 1000, "waited " + waitedMillis + " ms");
        }
    }

    private static Map<String, String> stock(String queue, String role, String... overrides) {
        Map<String, String> properties = new HashMap<>(RunningApplication.isolatedProperties(queue));
        properties.put("rpc.role", role);
        properties.put("rpc.tuning", "false");
        for (int i = 0; i < overrides.length; i += 2) {
            properties.put(overrides[i], overrides[i + 1]);
        }
        return properties;
    }
}
