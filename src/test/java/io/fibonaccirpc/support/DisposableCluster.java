package io.fibonaccirpc.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Connection;

/**
 * A RabbitMQ cluster of the test's own: {@link DisposableBroker} nodes that share an Erlang cookie, the second and
 * later ones joined to the first ({@code rabbitmqctl join_cluster}). A node can be stopped and started again as a
 * fault; {@link #close} stops and deletes them all. The shared broker of {@link TestBroker} is never involved.
 */
public final class DisposableCluster implements Broker, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<DisposableBroker> nodes;
    private final Set<DisposableBroker> stopped = ConcurrentHashMap.newKeySet();

    private DisposableCluster(List<DisposableBroker> nodes) {
        this.nodes = nodes;
    }

    /** Starts this many nodes and clusters them; returns once every node runs and sees the others. */
    public static DisposableCluster start(int size) {
        String cookie = UUID.randomUUID().toString().replace("-", "").toUpperCase();
        List<DisposableBroker> nodes = new ArrayList<>();
        DisposableCluster cluster = new DisposableCluster(nodes);
        try {
            // the nodes boot at once; one that fails to start stops itself, close() stops the others
            ExecutorService boots = Executors.newFixedThreadPool(size);
            List<CompletableFuture<DisposableBroker>> starting = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                starting.add(CompletableFuture.supplyAsync(() -> DisposableBroker.startWithErlangCookie(cookie),
                        boots));
            }
            boots.shutdown();
            RuntimeException failure = null;
            for (CompletableFuture<DisposableBroker> node : starting) {
                try {
                    nodes.add(node.join());
                } catch (CompletionException e) {
                    failure = e.getCause() instanceof RuntimeException cause ? cause : e;
                }
            }
            if (failure != null) {
                throw failure;
            }
            DisposableBroker first = nodes.get(0);
            for (DisposableBroker node : nodes.subList(1, size)) {
                node.rabbitmqctl("stop_app");
                node.rabbitmqctl("join_cluster", first.nodeName());
                node.startApp();
            }
            List<String> running = cluster.runningNodes();
            if (running.size() != size) {
                throw new IllegalStateException("the cluster runs " + running + ", not the " + size + " nodes "
                        + cluster.nodeNames());
            }
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public List<DisposableBroker> nodes() {
        return List.copyOf(nodes);
    }

    public DisposableBroker node(String nodeName) {
        return nodes.stream().filter(node -> node.nodeName().equals(nodeName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(nodeName + " is not a node of " + nodeNames()));
    }

    public List<String> nodeNames() {
        return nodes.stream().map(DisposableBroker::nodeName).toList();
    }

    /** The AMQP addresses of every node, as rabbitmq.addresses takes them: {@code 127.0.0.1:port,...}. */
    public String addresses() {
        return nodes.stream().map(node -> "127.0.0.1:" + node.amqpPort()).collect(Collectors.joining(","));
    }

    /** The application's broker properties: every node's address, the first node's host and port as well. */
    public Map<String, String> applicationProperties() {
        Map<String, String> properties = new LinkedHashMap<>(nodes.get(0).applicationProperties());
        properties.put("rabbitmq.addresses", addresses());
        return properties;
    }

    /** The nodes that run the RabbitMQ application, as a running node sees them. */
    public List<String> runningNodes() {
        String status = anyRunningNode().rabbitmqctl("--quiet", "--formatter", "json", "cluster_status");
        try {
            List<String> running = new ArrayList<>();
            JSON.readTree(status).path("running_nodes").forEach(node -> running.add(node.asText()));
            return running;
        } catch (IOException e) {
            throw new IllegalStateException("rabbitmqctl cluster_status printed no JSON:\n" + status, e);
        }
    }

    /** Stops the RabbitMQ application of one node (the node loses its connections), as a lost node would. */
    public void stopApp(DisposableBroker node) {
        node.stopApp();
        stopped.add(node);
    }

    /** Starts the RabbitMQ application of a stopped node again; it rejoins the cluster. */
    public void startApp(DisposableBroker node) {
        node.startApp();
        stopped.remove(node);
    }

    /** The node a client connection with this name (its connection_name) is connected to. */
    public DisposableBroker nodeOf(String connectionName) {
        Map<String, String> connections = anyRunningNode().connectionNodes();
        String node = connections.get(connectionName);
        if (node == null) {
            throw new IllegalStateException("no connection is named '" + connectionName + "': " + connections);
        }
        return node(node);
    }

    /** The node that leads this quorum queue now. */
    public DisposableBroker leaderOf(String queue) {
        List<Map<String, Object>> rows = anyRunningNode().list("list_queues", "name", "leader");
        return rows.stream()
                .filter(row -> queue.equals(row.get("name")))
                .map(row -> node(String.valueOf(row.get("leader"))))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the cluster has no queue " + queue));
    }

    /** A new connection to one of the running nodes. */
    @Override
    public Connection connect() {
        return anyRunningNode().connect();
    }

    private DisposableBroker anyRunningNode() {
        return nodes.stream().filter(node -> !stopped.contains(node)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of the cluster runs"));
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    @Override
    public String toString() {
        return "cluster of " + nodes;
    }
}
