package io.fibonaccirpc;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fibonaccirpc.fibonacci.Fibonacci;
import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Rabbitmqctl;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged jar run as separate processes, the way it is deployed: several servers (RPC_ROLE=server) on one
 * queue behind several HTTP gateways (RPC_ROLE=gateway), against the test broker.
 */
class ScaleOutIT {

    private static final int CALLS = 500;
    /** Calls in flight at once; each gateway serves 20 at a time, the rest wait in its queue. */
    private static final int IN_FLIGHT = 64;
    private static final int CONSUMERS_PER_SERVER = 2;
    /** Small, medium and large n; fib(100000) has 20,899 digits, so a few of those. */
    private static final List<Integer> COMMON_N = List.of(0, 1, 2, 30, 93, 1000, 10000);
    private static final int LARGEST_N = 100_000;
    private static final int LARGEST_N_CALLS = 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String queue = RunningApplication.newQueueName();
    private final String deadLetterQueue = queue + ".dead-letters";
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final Fibonacci fibonacci = new Fibonacci(Fibonacci.DEFAULT_MAX_N);
    /** fib(n) as decimal text, computed here by the application's own algorithm, once per n. */
    private final Map<Integer, String> expected = new ConcurrentHashMap<>();

    @AfterEach
    void deleteQueues() {
        TestBroker.get().deleteQueues(queue, deadLetterQueue);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void two_servers_behind_two_gateways_answer_500_mixed_concurrent_calls_exactly() throws Exception {
        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put("scale-out-server-1", environment("server"));
        environments.put("scale-out-server-2", environment("server"));
        environments.put("scale-out-gateway-1", environment("gateway"));
        environments.put("scale-out-gateway-2", environment("gateway"));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        try {
            List<ApplicationProcess> gateways = processes.subList(2, 4);

            // both servers consume the queue: 2 x 2 consumers, on two connections
            await("consumers on " + queue).atMost(Duration.ofSeconds(20))
                    .until(() -> TestBroker.get().consumerCount(queue) == 2 * CONSUMERS_PER_SERVER);
            Rabbitmqctl rabbitmqctl = Rabbitmqctl.forTestBroker();
            Map<String, Long> bytesBefore = rabbitmqctl.bytesReceivedFromConsumersOf(queue);
            assertEquals(2, bytesBefore.size(), "connections consuming " + queue + ": " + bytesBefore.keySet());

            List<Call> calls = mixedCalls(gateways);
            long start = System.nanoTime();
            List<Answer> answers = callAll(calls);
            long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            List<String> wrong = new ArrayList<>();
            Map<String, Integer> rightByGateway = new HashMap<>();
            for (Answer answer : answers) {
                String problem = problemWith(answer);
                if (problem == null) {
                    rightByGateway.merge(answer.call().gateway().name(), 1, Integer::sum);
                } else {
                    wrong.add(answer.call() + ": " + problem);
                }
            }
            assertEquals(List.of(), wrong.subList(0, Math.min(5, wrong.size())),
                    wrong.size() + " of " + CALLS + " calls were not answered 200 with fib(n); the first ones");
            for (ApplicationProcess gateway : gateways) {
                assertEquals(CALLS / 2, rightByGateway.getOrDefault(gateway.name(), 0),
                        gateway.name() + " answered its share of the calls");
            }

            // each server sent replies: the broker received a good part of all the bytes from each connection
            Map<String, Long> bytesAfter = rabbitmqctl.bytesReceivedFromConsumersOf(queue);
            assertEquals(bytesBefore.keySet(), bytesAfter.keySet(), "the same two connections still consume");
            long total = 0;
            Map<String, Long> sentDuringLoad = new HashMap<>();
            for (String connection : bytesBefore.keySet()) {
                long sent = bytesAfter.get(connection) - bytesBefore.get(connection);
                sentDuringLoad.put(connection, sent);
                total += sent;
            }
            System.out.printf("%d calls answered in %d ms; bytes each server sent during the load: %s%n",
                    CALLS, loadMillis, sentDuringLoad);
            for (Map.Entry<String, Long> connection : sentDuringLoad.entrySet()) {
                assertTrue(connection.getValue() * 10 >= total, "the server on " + connection.getKey()
                        + " sent at least a tenth of the replies' bytes; bytes sent by server: " + sentDuringLoad);
            }

            assertEquals(0, TestBroker.get().queueDepth(queue), "requests left in " + queue);
        } finally {
            ApplicationProcess.closeAll(processes);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void a_server_only_process_consumes_the_queue_but_has_no_fib_route() throws Exception {
        try (ApplicationProcess server = ApplicationProcess.start("roles-server", environment("server"))) {
            await("consumers on " + queue).atMost(Duration.ofSeconds(20))
                    .until(() -> TestBroker.get().consumerCount(queue) == CONSUMERS_PER_SERVER);

            HttpResponse<String> response = http.send(get(server.uri("/fib/5"), "text/plain"),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(404, response.statusCode(), response.body());
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void a_gateway_only_process_without_servers_answers_503_at_once() throws Exception {
        try (ApplicationProcess gateway = ApplicationProcess.start("roles-gateway", environment("gateway"))) {
            // the first call of a new JVM also pays for class loading and a cold JIT: time the next one
            HttpResponse<String> first = http.send(get(gateway.uri("/fib/5"), "text/plain"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, first.statusCode(), first.body());
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(get(gateway.uri("/fib/5"), "text/plain"),
                    HttpResponse.BodyHandlers.ofString());
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertEquals(503, response.statusCode(), response.body());
            assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
            assertEquals(503, JSON.readTree(response.body()).path("status").asInt(), response.body());
            assertTrue(elapsedMillis < 1000, "answered after " + elapsedMillis + " ms");
        }
    }

    private Map<String, String> environment(String role) {
        return Map.of(
                "RPC_ROLE", role,
                "RPC_QUEUE", queue,
                "RPC_DEAD_LETTER_QUEUE", deadLetterQueue,
                "RPC_SERVER_CONSUMERS", Integer.toString(CONSUMERS_PER_SERVER));
    }

    /** 500 calls in a fixed shuffled order: every n, text and JSON alike, alternating between the gateways. */
    private static List<Call> mixedCalls(List<ApplicationProcess> gateways) {
        List<Integer> ns = new ArrayList<>();
        for (int i = 0; i < LARGEST_N_CALLS; i++) {
            ns.add(LARGEST_N);
        }
        while (ns.size() < CALLS) {
            ns.add(COMMON_N.get(ns.size() % COMMON_N.size()));
        }
        Collections.shuffle(ns, new Random(500));
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            calls.add(new Call(i, ns.get(i), i % 4 < 2, gateways.get(i % 2)));
        }
        return calls;
    }

    /** Sends every call, at most {@link #IN_FLIGHT} at a time; returns when all are answered. */
    private List<Answer> callAll(List<Call> calls) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<Answer>> answers = new ArrayList<>();
        for (Call call : calls) {
            inFlight.acquire();
            answers.add(http.sendAsync(get(call.uri(), call.json() ? "application/json" : "text/plain"),
                            HttpResponse.BodyHandlers.ofString())
                    .handle((response, failure) -> new Answer(call, response, failure))
                    .whenComplete((answer, failure) -> inFlight.release()));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        return answers.stream().map(CompletableFuture::join).toList();
    }

    /** What is wrong with an answer, or null when it is 200 with exactly fib(n) in the format asked for. */
    private String problemWith(Answer answer) throws IOException {
        if (answer.failure() != null) {
            return "no answer: " + answer.failure();
        }
        HttpResponse<String> response = answer.response();
        String body = response.body();
        if (response.statusCode() != 200) {
            return "status " + response.statusCode() + " " + abbreviate(body);
        }
        String value = expected.computeIfAbsent(answer.call().n(), n -> fibonacci.of(n).toString());
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (answer.call().json()) {
            JsonNode json = JSON.readTree(body);
            boolean right = contentType.startsWith("application/json")
                    && json.size() == 2
                    && json.path("n").isInt() && json.path("n").asInt() == answer.call().n()
                    && value.equals(json.path("fibonacci").textValue());
            return right ? null : contentType + " " + abbreviate(body);
        }
        boolean right = contentType.startsWith("text/plain") && value.equals(body);
        return right ? null : contentType + " " + abbreviate(body);
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "... (" + text.length() + " characters)";
    }

    private static HttpRequest get(URI uri, String accept) {
        return HttpRequest.newBuilder(uri).header("Accept", accept).timeout(Duration.ofSeconds(60)).GET().build();
    }

    private record Call(int index, int n, boolean json, ApplicationProcess gateway) {

        URI uri() {
            return gateway.uri("/fib/" + n);
        }

        @Override
        public String toString() {
            return "call " + index + " (n=" + n + (json ? ", JSON" : ", text") + ", " + gateway.name() + ")";
        }
    }

    private record Answer(Call call, HttpResponse<String> response, Throwable failure) {
    }
}
