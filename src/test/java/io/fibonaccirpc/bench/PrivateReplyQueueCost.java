package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.fibonaccirpc.server.PrivateReplyQueues;
import io.fibonaccirpc.support.TestBroker;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * What a server's check of a caller's private reply queue costs (PrivateReplyQueues): the first look at a name (a
 * channel opened, a passive declare refused with 405, the channel gone), and a request whose name's answer is kept.
 * Against the test broker: exclusive queues of a connection of its own, looked at from another, as a server does.
 * Prints the figures and writes them to {@code target/private-reply-queue-cost.md}.
 * <pre>
 * ./mvnw -q -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) io.fibonaccirpc.bench.PrivateReplyQueueCost [rounds]
 * </pre>
 */
public final class PrivateReplyQueueCost {

    private static final int NAMES = 500;
    private static final int KEPT_LOOKS = 200_000;

    private PrivateReplyQueueCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        TestBroker broker = TestBroker.get();
        StringBuilder report = new StringBuilder("| round | first look p50 (ms) | p90 (ms) | p99 (ms) | kept answer (ns) |\n"
                + "|---:|---:|---:|---:|---:|\n");
        try (Connection owner = broker.connect()) {
            Channel channel = owner.createChannel();
            for (int round = 1; round <= rounds; round++) {
                List<String> queues = new ArrayList<>();
                for (int i = 0; i < NAMES; i++) {
                    queues.add(channel.queueDeclare("private-reply-cost." + UUID.randomUUID(), false, true, true, null)
                            .getQueue());
                }
                CachingConnectionFactory factory = new CachingConnectionFactory(broker.host(), broker.port());
                factory.setUsername(broker.applicationProperties().get("rabbitmq.username"));
                factory.setPassword(broker.applicationProperties().get("rabbitmq.password"));
                factory.setVirtualHost(broker.applicationProperties().get("rabbitmq.vhost"));
                try {
                    PrivateReplyQueues privateQueues = new PrivateReplyQueues(factory);
                    privateQueues.isPrivate("warm-up." + UUID.randomUUID());
                    long[] first = new long[NAMES];
                    for (int i = 0; i < NAMES; i++) {
                        long started = System.nanoTime();
                        if (!privateQueues.isPrivate(queues.get(i))) {
                            throw new IllegalStateException(queues.get(i) + " was not seen as private");
                        }
                        first[i] = System.nanoTime() - started;
                    }
                    long started = System.nanoTime();
                    for (int i = 0; i < KEPT_LOOKS; i++) {
                        privateQueues.isPrivate(queues.get(i % NAMES));
                    }
                    double keptNanos = (double) (System.nanoTime() - started) / KEPT_LOOKS;
                    Arrays.sort(first);
                    String row = String.format("| %d | %.2f | %.2f | %.2f | %.0f |%n", round, first[NAMES / 2] / 1e6,
                            first[NAMES * 9 / 10] / 1e6, first[NAMES * 99 / 100] / 1e6, keptNanos);
                    System.out.print(row);
                    report.append(row);
                } finally {
                    factory.destroy();
                    for (String queue : queues) {
                        channel.queueDelete(queue);
                    }
                }
            }
        }
        write(report.toString());
    }

    private static void write(String table) throws IOException {
        Path file = Path.of("target", "private-reply-queue-cost.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "# The check of a private reply queue: " + NAMES + " names looked at first, then "
                + KEPT_LOOKS + " requests with kept answers, per round\n\n" + table);
        System.out.println("Written to " + file);
    }
}
