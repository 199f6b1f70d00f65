package io.fibonaccirpc.chaos;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.RunningApplication;
import io.fibonaccirpc.support.Scrape;



/**
 * The processes of the soak, the packaged jar each, as {@code scripts/run} starts it: servers
 * ({@code RPC_ROLE=server}) and gateways ({@code RPC_ROLE=gateway}) by name, each on an HTTP port of its own that
 * it keeps across restarts. Every server's computations are kept across its restarts (its meters start at 0).
 */
final class Fleet implements AutoCloseable {

    static final String QUEUE = "rpc_queue";

    private final DisposableBroker broker;
    private final long replyTimeoutMillis;
    private final Map<String, Member> members = new LinkedHashMap<>();

    /** One named process, its role and port, and what the incarnations before the current one computed. */
    private static final class Member {
        final String name;
        final String role;
        final int port;
        ApplicationProcess process;
        int incarnation;
        final Map<String, Double> earlierCounts = new LinkedHashMap<>();
        Map<String, Double> lastCounts = Map.of();

        Member(String name, String role) {
            this.name = name;
            this.role = role;
            this.port = RunningApplication.freePort();
        }
    }

    Fleet(DisposableBroker broker, long replyTimeoutMillis) {
        this.broker = broker;
        this.replyTimeoutMillis = replyTimeoutMillis;
    }

    /** Starts these servers and gateways at once; returns once all are ready. */
    void start(List<String> servers, List<String> gateways) {
        servers.forEach(name -> members.put(name, new Member(name, "server")));
        gateways.forEach(name -> members.put(name, new Member(name, "gateway")));
        Map<String, Map<String, String>> environments = new LinkedHashMap<>();
        members.values().forEach(member -> environments.put(logName(member), environment(member)));
        List<ApplicationProcess> processes = ApplicationProcess.startAll(environments);
        int index = 0;
        for (Member member : members.values()) {
            member.process = processes.get(index++);
        }
    }

    List<String> servers() {
        return names("server");
    }

    List<String> gateways() {
        return names("gateway");
    }

    private List<String> names(String role) {
        return members.values().stream().filter(member -> member.role.equals(role)).map(member -> member.name).toList();
    }

    URI uri(String name) {
        return URI.create("http://127.0.0.1:" + member(name).port);
    }

    /** SIGKILL, and waits for the process to be gone. */
    void kill(String name) throws Exception {
        Member member = member(name);
        scrapeCounts(member);
        member.process.processHandle().destroyForcibly();
        member.process.processHandle().onExit().get(30, TimeUnit.SECONDS);
        member.process.close();
    }

    /** SIGTERM, and waits until the process has stopped. */
    void terminate(String name) {
        Member member = member(name);
        scrapeCounts(member);
        member.process.close();
    }

    /** Starts the process of this name again, on its port; returns once it is ready. */
    void restart(String name) {
        Member member = member(name);
        member.lastCounts.forEach((key, value) -> member.earlierCounts.merge(key, value, Double::sum));
        member.lastCounts = Map.of();
        member.incarnation++;
        member.process = ApplicationProcess.start(logName(member), environment(member));
    }

    /** kill -STOP or kill -CONT. */
    void signal(String name, String signal) throws IOException, InterruptedException {
        member(name).process.signal(signal);
    }

    /**
     * What the servers have taken so far, by outcome ({@code ok}, {@code expired}, ...), summed over their
     * incarnations: from their meters, scraped now (a stopped or paused server counts with its last scrape).
     */
    Map<String, Double> serverCounts(boolean scrape) {
        Map<String, Double> total = new LinkedHashMap<>();
        for (Member member : members.values()) {
            if (!member.role.equals("server")) {
                continue;
            }
            if (scrape) {
                scrapeCounts(member);
            }
            member.earlierCounts.forEach((key, value) -> total.merge(key, value, Double::sum));
            member.lastCounts.forEach((key, value) -> total.merge(key, value, Double::sum));
        }
        return total;
    }

    private void scrapeCounts(Member member) {
        if (!member.role.equals("server") || member.process == null || !member.process.isAlive()) {
            return;
        }
        try {
            Scrape scrape = Scrape.of(uri(member.name).resolve("/observe/metrics"));
            Map<String, Double> counts = new LinkedHashMap<>();
            for (String outcome : List.of("ok", "invalid", "error", "expired", "refused")) {
                counts.put(outcome, scrape.value("fibonacci_rpc_server_requests_total", "outcome", outcome));
            }
            member.lastCounts = counts;
        } catch (RuntimeException | AssertionError e) {
            // a paused or stopping server: its last scrape stands
        }
    }

    private Member member(String name) {
        Member member = members.get(name);
        if (member == null) {
            throw new IllegalArgumentException("no process " + name);
        }
        return member;
    }

    private static String logName(Member member) {
        return "chaos-" + member.name + "-" + member.incarnation;
    }

    private Map<String, String> environment(Member member) {
        Map<String, String> environment = new LinkedHashMap<>(broker.environment());
        environment.put("RPC_ROLE", member.role);
        environment.put("RPC_QUEUE", QUEUE);
        environment.put("RPC_REPLY_TIMEOUT", Long.toString(replyTimeoutMillis));
        environment.put("HTTP_PORT", Integer.toString(member.port));
        return environment;
    }

    @Override
    public void close() {
        List<ApplicationProcess> running = new ArrayList<>();
        for (Member member : members.values()) {
            if (member.process != null) {
                try {
                    signal(member.name, "CONT");
                } catch (IOException | RuntimeException e) {
                    // gone already
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.add(member.process);
            }
        }
        ApplicationProcess.closeAll(running);
    }
}
