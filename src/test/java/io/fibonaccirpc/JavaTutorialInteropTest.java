package io.fibonaccirpc;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.rabbitmq.client.ShutdownSignalException;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import io.fibonaccirpc.tutorial.JavaRpcClientTutorial;
import io.fibonaccirpc.tutorial.JavaTutorialClient;
import io.fibonaccirpc.tutorial.JavaTutorialServer.Declaration;
import io.fibonaccirpc.tutorial.JavaTutorialServer;
import io.fibonaccirpc.tutorial.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our routes against the code paths of RabbitMQ's Java RPC tutorial (tutorial six), run in the test JVM: the
 * tutorial's client and the Java client library's own RpcClient call our server; our HTTP gateway calls the
 * tutorial's server, as it declares the queue today (durable quorum) and as it did before (non-durable classic).
 */
class JavaTutorialInteropTest {

    private static final Duration REPLY_WAIT = Duration.ofSeconds(10);
    private static final List<String> VALUES = List.of("0", "1", "30", "93");

    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    private final String queue = RunningApplication.newQueueName();
    private RunningApplication app;
    private JavaTutorialServer tutorialServer;

    @AfterEach
    void tearDown() throws IOException {
        try {
            if (tutorialServer != null) {
                tutorialServer.close();
            }
        } finally {
            try {
                if (app != null) {
                    app.close();
                }
            } finally {
                TestBroker.get().deleteQueues(queue, queue + ".dead-letters");
            }
        }
    }

    @Test
    void tutorial_java_client_gets_exact_values_from_our_server() throws Exception {
        app = start("server");
        try (JavaTutorialClient client = JavaTutorialClient.connect(TestBroker.get().connectionFactory(), queue)) {
            for (String n : VALUES) {
                Reply reply = client.exchange(n, REPLY_WAIT);

                assertAll("fib(" + n + ")",
                        () -> assertNull(reply.error(), () -> "error reply: " + reply),
                        () -> assertEquals(expected(n), reply.body()));
            }
            assertEquals("832040", client.call("30", REPLY_WAIT), "call() gives the raw body");
        }
    }

    @Test
    void java_rpc_client_with_direct_reply_to_gets_exact_values_from_our_server() throws Exception {
        app = start("server");
        try (JavaRpcClientTutorial client = JavaRpcClientTutorial.connect(TestBroker.get().connectionFactory(),
                queue)) {
            for (String n : VALUES) {
                Reply reply = client.call(n, REPLY_WAIT);

                assertAll("fib(" + n + ")",
                        () -> assertNull(reply.error(), () -> "error reply: " + reply),
                        () -> assertEquals(expected(n), reply.body()));
            }
        }
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource({"abc, INVALID_ARGUMENT", "-5, OUT_OF_RANGE"})
    void both_java_clients_get_an_error_reply_for_a_bad_n(String n, String error) throws Exception {
        app = start("server");
        Reply tutorial;
        try (JavaTutorialClient client = JavaTutorialClient.connect(TestBroker.get().connectionFactory(), queue)) {
            tutorial = client.exchange(n, REPLY_WAIT);
        }
        Reply library;
        try (JavaRpcClientTutorial client = JavaRpcClientTutorial.connect(TestBroker.get().connectionFactory(),
                queue)) {
            library = client.call(n, REPLY_WAIT);
        }

        for (Reply reply : List.of(tutorial, library)) {
            assertAll("reply " + reply,
                    () -> assertEquals(error, reply.error()),
                    // a client that ignores rpc-error and reads the number leniently gets -1
                    () -> assertTrue(reply.body().startsWith("-1 " + error + ": "), reply::body));
        }
    }

    @ParameterizedTest
    @EnumSource(Declaration.class)
    void our_http_gateway_gets_exact_answers_from_the_tutorial_java_server(Declaration declaration)
            throws Exception {
        // the tutorial's server declares the queue first; our gateway does not declare it
        tutorialServer = JavaTutorialServer.start(TestBroker.get().connectionFactory(), queue, declaration);
        app = start("gateway");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        // within the tutorial's int: fib(46) is its largest exact value
        List<String> ns = List.of("30", "0", "1", "20", "46");

        for (String n : ns) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(app.uri("/fib/" + n)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());

            assertAll("GET /fib/" + n,
                    () -> assertEquals(200, response.statusCode(), response::body),
                    () -> assertEquals(expected(n), response.body()));
        }
        assertEquals(ns.size(), tutorialServer.served(), "requests the tutorial server answered");
        Map<String, Object> headers = tutorialServer.lastRequestHeaders();
        assertNotNull(headers, "the tutorial server saw no request");
        // a 64-bit integer header ends tutorial servers whose AMQP decoders lack that type (Perl's Net::AMQP)
        assertInstanceOf(String.class, headers.get("rpc-deadline"), () -> "request headers: " + headers);
        headers.forEach((name, value) -> assertInstanceOf(String.class, value,
                () -> "header " + name + " is a " + (value == null ? "void" : value.getClass().getName())));
    }

    @Test
    void a_tutorial_server_declaration_the_broker_refuses_surfaces_as_an_io_exception() {
        // the queue exists as our server declares it, durable quorum: the older non-durable classic declaration fails
        TestBroker.get().declareQueue(queue);

        IOException refused = assertThrows(IOException.class,
                () -> JavaTutorialServer.start(TestBroker.get().connectionFactory(), queue, Declaration.LEGACY));

        ShutdownSignalException shutdown = assertInstanceOf(ShutdownSignalException.class, refused.getCause());
        assertTrue(shutdown.getMessage().contains("PRECONDITION_FAILED"), shutdown::getMessage);
    }

    private RunningApplication start(String role) {
        Map<String, String> properties = RunningApplication.isolatedProperties(queue);
        properties.put("rpc.role", role);
        properties.put("rpc.reply-timeout", Long.toString(REPLY_WAIT.toMillis()));
        return RunningApplication.start(properties);
    }

    private String expected(String n) {
        return fibonacci.of(Integer.parseInt(n)).toString();
    }
}
