package io.fibonaccirpc.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fibonaccirpc.bench.LoadCaller.ReplyMode;
import io.fibonaccirpc.support.TestBroker;

/**
 * What each thing the gateway puts on a request costs the broker (issue 16): the plain amqp-client caller of the
 * baseline against the baseline server, its requests carrying one property at a time ({@link RequestShape}), then
 * all of them as the gateway publishes, then that with the gateway's looks at the queue (a passive declare every
 * check interval) and its canaries (a one-byte message to no queue every half interval) beside it. The broker's
 * CPU per call answered comes from {@code /proc/<pid>/stat} of its {@code beam.smp}.
 * <p>
 * The broker's CPU per call follows the rate (fewer messages per socket read and per wake-up when calls come
 * slower), so each shape is measured twice: 64 calls in flight in a closed loop (each at its own rate), and an open
 * loop at a fixed pace (by default about the gateway's rate at 64 connections), which compares the shapes at the
 * same rate. Rounds are interleaved (every shape once per round, in an order that turns each round) and each
 * shape's cost is also given as the median over the rounds of its ratio to the plain request of the same round.
 * <p>
 * Run by {@code scripts/benchmark --broker-cost [--rounds N] [--duration S] [--pace CALLS_PER_SECOND]
 * [--output FILE]}; writes its table between its markers in the results file (docs/benchmarks.md).
 */
public final class BrokerCost {

    static final String BEGIN = "<!-- broker cost: begin (written by scripts/benchmark --broker-cost) -->";
    static final String END = "<!-- broker cost: end -->";

    private static final int IN_FLIGHT = 64;
    private static final Duration DRAIN = Duration.ofSeconds(10);
    /** The gateway's defaults: rpc.server-check-interval=250 (a look), its half (a canary). */
    private static final long LOOK_MILLIS = 250;
    private static final long CANARY_MILLIS = LOOK_MILLIS / 2;

    /** A shape of request, with or without the gateway's looks and canaries beside the calls. */
    record Variant(RequestShape shape, boolean looks) {
        String name() {
            return looks ? shape.name() + ", with the looks at the queue and the canaries" : shape.name();
        }
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant(RequestShape.PLAIN, false),
            new Variant(new RequestShape("+ expiration", true, false, false, false, false), false),
            new Variant(new RequestShape("+ rpc-deadline header", false, true, false, false, false), false),
            new Variant(new RequestShape("+ traceparent header", false, false, true, false, false), false),
            new Variant(new RequestShape("+ mandatory", false, false, false, true, false), false),
            new Variant(new RequestShape("+ Spring's properties (delivery mode 1, content type and encoding, priority 0)",
                    false, false, false, false, true), false),
            new Variant(RequestShape.AS_THE_GATEWAY, false),
            new Variant(RequestShape.AS_THE_GATEWAY, true));

    private record Figures(double callsPerSecond, double brokerMicrosPerCall, long errors) {
    }

    private final int rounds;
    private final Duration duration;
    private final double pace;
    private final long brokerPid;
    private final ConnectionFactory factory = TestBroker.get().connectionFactory();

    private BrokerCost(int rounds, Duration duration, double pace, long brokerPid) {
        this.rounds = rounds;
        this.duration = duration;
        this.pace = pace;
        this.brokerPid = brokerPid;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                System.err.println("usage: BrokerCost [--rounds N] [--duration S] [--pace CALLS_PER_SECOND] "
                        + "[--output FILE] [--broker-pid PID] [--revision R] [--command C]");
                System.exit(2);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        String pid = options.getOrDefault("broker-pid", "");
        if (pid.isBlank()) {
            Benchmark.log("broker cost: the broker's process (beam.smp) was not found; its CPU will be n/a");
        }
        BrokerCost cost = new BrokerCost(Integer.parseInt(options.getOrDefault("rounds", "5")),
                Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "4"))),
                Double.parseDouble(options.getOrDefault("pace", "8000")), pid.isBlank() ? -1 : Long.parseLong(pid));
        String table = cost.measure();
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String content = "Run " + date + " with `" + options.getOrDefault("command", "scripts/benchmark --broker-cost")
                + "` at " + options.getOrDefault("revision", "unknown") + ". " + cost.description() + "\n\n" + table;
        System.out.println(content);
        Path output = Path.of(options.getOrDefault("output", "docs/benchmarks.md"));
        // a results file without the markers keeps what it has, with the table at its end
        String existing = Files.isRegularFile(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        Report.writeBetween(output, BEGIN, END, content,
                block -> (existing.isEmpty() ? "# Benchmarks\n" : existing.stripTrailing() + "\n") + "\n" + block + "\n");
        Benchmark.log("broker cost written to " + output);
        System.exit(0); // the RabbitMQ client's threads would keep the JVM up
    }

    private String description() {
        return "The baseline's caller (one connection, one channel, a shared exclusive reply queue) and server "
                + "(prefetch " + Benchmark.BASELINE_PREFETCH + ") on a `" + queueType() + "` queue (the server "
                + "route's type), fib(1); " + rounds + " interleaved rounds, each shape once per round for "
                + duration.toSeconds() + " s at " + IN_FLIGHT + " calls in flight (closed loop) and once at "
                + Report.count(pace) + " calls/s (open loop, at most " + IN_FLIGHT + " in flight), after a warm-up. "
                + "Broker CPU per call: `beam.smp`'s utime + stime over the run divided by the calls answered, in "
                + "microseconds, the median of the rounds; \"vs plain\": the median of each round's ratio to the "
                + "plain request of the same round.";
    }

    private static String queueType() {
        return Benchmark.applicationProperties().getProperty("rpc.queue-type", "quorum");
    }

    private String measure() throws Exception {
        String queue = "bench." + UUID.randomUUID().toString().substring(0, 8) + ".broker-cost";
        Map<Variant, List<Figures>> closed = new LinkedHashMap<>();
        Map<Variant, List<Figures>> paced = new LinkedHashMap<>();
        try (Connection admin = factory.newConnection("benchmark broker cost admin")) {
            Channel adminChannel = admin.createChannel();
            adminChannel.queueDeclare(queue, true, false, false, Map.of("x-queue-type", queueType()));
            Process server = BaselineServer.start(queue, Benchmark.BASELINE_PREFETCH);
            List<LoadCaller> callers = new ArrayList<>();
            ScheduledExecutorService looks = Executors.newSingleThreadScheduledExecutor();
            try {
                for (Variant variant : VARIANTS) {
                    callers.add(LoadCaller.open(factory, queue, ReplyMode.CALLBACK_QUEUE, variant.shape()));
                    closed.put(variant, new ArrayList<>());
                    paced.put(variant, new ArrayList<>());
                }
                Benchmark.log("broker cost: warming up");
                for (LoadCaller caller : callers) {
                    caller.run(1, IN_FLIGHT, Duration.ofSeconds(2), DRAIN);
                }
                Channel looking = admin.createChannel();
                for (int round = 0; round < rounds; round++) {
                    for (int i = 0; i < VARIANTS.size(); i++) {
                        int index = (i + round) % VARIANTS.size();
                        Variant variant = VARIANTS.get(index);
                        LoadCaller caller = callers.get(index);
                        List<ScheduledFuture<?>> beside = new ArrayList<>();
                        if (variant.looks()) {
                            beside.add(looks.scheduleAtFixedRate(() -> look(looking, queue), 0, LOOK_MILLIS,
                                    TimeUnit.MILLISECONDS));
                            beside.add(looks.scheduleAtFixedRate(() -> canary(looking), 0, CANARY_MILLIS,
                                    TimeUnit.MILLISECONDS));
                        }
                        try {
                            closed.get(variant).add(run(caller, 0));
                            paced.get(variant).add(run(caller, pace));
                        } finally {
                            beside.forEach(future -> future.cancel(false));
                        }
                        Benchmark.log("broker cost: round " + (round + 1) + "/" + rounds + ", " + variant.name()
                                + ": " + last(closed.get(variant)) + "; paced: " + last(paced.get(variant)));
                    }
                }
            } finally {
                looks.shutdownNow();
                callers.forEach(LoadCaller::close);
                BenchJvm.stop(server);
                adminChannel.queueDelete(queue);
            }
        }
        return table(closed, paced);
    }

    private static String last(List<Figures> figures) {
        Figures f = figures.get(figures.size() - 1);
        return Report.count(f.callsPerSecond()) + " calls/s, broker " + Report.count(f.brokerMicrosPerCall())
                + " us per call, " + f.errors() + " errors";
    }

    private Figures run(LoadCaller caller, double callsPerSecond) throws InterruptedException {
        ProcessCpu cpu = ProcessCpu.start(Map.of(Role.BROKER, brokerPid));
        Run run = caller.run(1, IN_FLIGHT, callsPerSecond, duration, DRAIN);
        Double brokerPercent = cpu.stop().get(Role.BROKER);
        // the CPU is measured over the run and its drain; the drain of a closed loop at its end is short
        double micros = brokerPercent == null || run.callsPerSecond() <= 0 ? Double.NaN
                : brokerPercent / 100 * 1e6 / run.callsPerSecond();
        return new Figures(run.callsPerSecond(), micros, run.errors());
    }

    private static void look(Channel channel, String queue) {
        try {
            channel.queueDeclarePassive(queue);
        } catch (Exception e) {
            Benchmark.log("broker cost: a look at the queue failed: " + e);
        }
    }

    private static void canary(Channel channel) {
        try {
            channel.basicPublish("", "", false, null, new byte[] {0});
        } catch (Exception e) {
            Benchmark.log("broker cost: a canary failed: " + e);
        }
    }

    private static String table(Map<Variant, List<Figures>> closed, Map<Variant, List<Figures>> paced) {
        StringBuilder out = new StringBuilder("| what the request carries | 64 in flight: calls/s | broker CPU per call (us) "
                + "| vs plain | paced: calls/s | broker CPU per call (us) | vs plain | errors |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        Variant plain = VARIANTS.get(0);
        for (Variant variant : VARIANTS) {
            long errors = closed.get(variant).stream().mapToLong(Figures::errors).sum()
                    + paced.get(variant).stream().mapToLong(Figures::errors).sum();
            out.append("| ").append(variant.name())
                    .append(" | ").append(Report.count(median(closed.get(variant), Figures::callsPerSecond)))
                    .append(" | ").append(Report.count(median(closed.get(variant), Figures::brokerMicrosPerCall)))
                    .append(" | ").append(Report.ratio(ratio(closed.get(variant), closed.get(plain))))
                    .append(" | ").append(Report.count(median(paced.get(variant), Figures::callsPerSecond)))
                    .append(" | ").append(Report.count(median(paced.get(variant), Figures::brokerMicrosPerCall)))
                    .append(" | ").append(Report.ratio(ratio(paced.get(variant), paced.get(plain))))
                    .append(" | ").append(errors).append(" |\n");
        }
        return out.toString();
    }

    private static double median(List<Figures> figures, ToDoubleFunction<Figures> figure) {
        return Stats.median(figures.stream().map(figure::applyAsDouble).toList());
    }

    /** The median over the rounds of the broker's CPU per call against that of the plain request in the same round. */
    private static double ratio(List<Figures> figures, List<Figures> plain) {
        List<Double> ratios = new ArrayList<>();
        for (int round = 0; round < Math.min(figures.size(), plain.size()); round++) {
            ratios.add(figures.get(round).brokerMicrosPerCall() / plain.get(round).brokerMicrosPerCall());
        }
        return Stats.median(ratios);
    }
}
