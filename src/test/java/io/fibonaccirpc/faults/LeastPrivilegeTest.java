package io.fibonaccirpc.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RpcServerDouble;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's least-privilege recipe, as written: its {@code rabbitmqctl} lines (read from the README) make the
 * users on a node of the test's own; a server and a gateway running as those users answer, refuse a bad n and record
 * a failed call in the dead-letter queue; and the users can do no more than the README says.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LeastPrivilegeTest extends WithDisposableBroker {

    private static final Path SECURITY = Path.of("docs", "security.md");
    private static final String QUEUE = "rpc_queue";
    private static final String SERVER_PASSWORD = "server-secret-of-the-test";
    private static final String GATEWAY_PASSWORD = "gateway-secret-of-the-test";

    @Test
    void a_server_and_a_gateway_run_as_the_readmes_least_privileged_users() throws Exception {
        runRecipe();
        Map<String, String> serverProperties = FaultApplications.properties(broker, QUEUE, "server", 1500);
        serverProperties.put("rabbitmq.username", "fib-server");
        serverProperties.put("rabbitmq.password", SERVER_PASSWORD);
        Map<String, String> gatewayProperties = FaultApplications.properties(broker, QUEUE, "gateway", 1500);
        gatewayProperties.put("rabbitmq.username", "fib-gateway");
        gatewayProperties.put("rabbitmq.password", GATEWAY_PASSWORD);
        try (RunningApplication server = RunningApplication.start(serverProperties);
             RunningApplication gateway = RunningApplication.start(gatewayProperties)) {
            var answer = Http.get(gateway.uri("/fib/30"));
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("832040", answer.body());
            var refusal = Http.get(gateway.uri("/fib/abc"));
            assertEquals(400, refusal.statusCode(), refusal.body());

            var ready = Http.get(gateway.uri("/observe/health/ready"));
            assertEquals(200, ready.statusCode(), "the gateway is ready as its user: " + ready.body());

            // a failed published call is recorded in the dead-letter queue by the gateway's user
            server.close();
            try (RpcServerDouble slow = RpcServerDouble.start(broker.connectionFactory(), QUEUE,
                    n -> Duration.ofSeconds(5))) {
                await("the slow server consumes").atMost(Duration.ofSeconds(10))
                        .until(() -> Http.get(gateway.uri("/fib/31")).statusCode() == 504);
                await("the failed call recorded").atMost(Duration.ofSeconds(10))
                        .until(() -> broker.queueDepth(QUEUE + ".dead-letters") >= 1);
            }
        }

        // no more than the README says: the gateway's user cannot take requests, the server's cannot read replies
        assertRefused("fib-gateway", GATEWAY_PASSWORD, channel -> channel.basicGet(QUEUE, true));
        assertRefused("fib-server", SERVER_PASSWORD, channel -> channel.queueDeclare("rpc_queue.replies.someone",
                false, true, true, null));
        assertRefused("fib-server", SERVER_PASSWORD, channel -> channel.queueDeclare("another_queue", true, false,
                false, null));
    }

    /** The block of rabbitmqctl lines of docs/security.md lines, run by bash with this node's rabbitmqctl and the passwords set. */
    private static void runRecipe() throws IOException {
        broker.shell(recipe(), Map.of("SERVER_PASSWORD", SERVER_PASSWORD, "GATEWAY_PASSWORD", GATEWAY_PASSWORD));
    }

    /** The shell block of docs/security.md that adds the user fib-server. */
    private static String recipe() throws IOException {
        List<String> lines = Files.readAllLines(SECURITY, StandardCharsets.UTF_8);
        List<String> block = new ArrayList<>();
        boolean inBlock = false;
        for (String line : lines) {
            if (line.equals("```sh")) {
                inBlock = true;
                block.clear();
            } else if (line.equals("```") && inBlock) {
                if (block.stream().anyMatch(text -> text.startsWith("rabbitmqctl add_user fib-server"))) {
                    return String.join("\n", block) + "\n";
                }
                inBlock = false;
            } else if (inBlock) {
                block.add(line);
            }
        }
        throw new AssertionError("docs/security.md has no sh block that adds the user fib-server");
    }

    private interface ChannelAction {
        void on(Channel channel) throws IOException;
    }

    private static void assertRefused(String user, String password, ChannelAction action) throws Exception {
        ConnectionFactory factory = broker.connectionFactory();
        factory.setUsername(user);
        factory.setPassword(password);
        try (Connection connection = factory.newConnection()) {
            Channel channel = connection.createChannel();
            IOException refused = assertThrows(IOException.class, () -> action.on(channel), user);
            assertTrue(String.valueOf(refused.getCause()).contains("ACCESS_REFUSED"), user + ": " + refused.getCause());
        }
    }
}
