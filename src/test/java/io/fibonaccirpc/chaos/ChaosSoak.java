package io.fibonaccirpc.chaos;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.fibonaccirpc.support.DisposableBroker;



/**
 * The chaos soak: two servers and two gateways (the packaged jar, four processes) on a RabbitMQ node of their own,
 * {@value #CALLS_PER_SECOND} calls a second spread over the gateways, and a seeded random schedule of faults
 * ({@link FaultKind}), one every 10 to 20 s. Every call is checked ({@link ChaosReport}): the value exact, a bad n
 * a 400 problem, every other answer a problem the README promises for the fault it fell in, and none left
 * unanswered. {@code scripts/chaos} runs it; {@code ChaosSoakIT} runs the short fixed-seed schedule in CI.
 *
 * <pre>
 * ChaosSoak [--seed N] [--duration SECONDS] [--quick] [--report FILE] [--command TEXT]
 * </pre>
 * --quick: every fault kind once, in the seed's order, about two minutes; otherwise faults until --duration
 * (default 240 s) is over, every kind at least once. Exits 1 when a promise was broken.
 */
public final class ChaosSoak {

    static final int CALLS_PER_SECOND = 60;
    static final long REPLY_TIMEOUT_MILLIS = 3000;
    /** How long after a fault's end its failures are still its own. */
    static final long WINDOW_AFTER_MILLIS = 10_000;
    private static final long WARM_UP_MILLIS = 5000;
    private static final List<String> SERVERS = List.of("server-1", "server-2");
    private static final List<String> GATEWAYS = List.of("gateway-1", "gateway-2");

    /** How a soak runs. */
    record Options(long seed, Duration duration, boolean quick, Path report, String command) {

        static Options parse(String... args) {
            long seed = 1;
            Duration duration = Duration.ofSeconds(240);
            boolean quick = false;
            Path report = Path.of("docs", "chaos-report.md");
            String command = "ChaosSoak " + String.join(" ", args);
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--duration" -> duration = Duration.ofSeconds(Long.parseLong(args[++i]));
                    case "--quick" -> quick = true;
                    case "--report" -> report = Path.of(args[++i]);
                    case "--command" -> command = args[++i];
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " in "
                            + Arrays.toString(args));
                }
            }
            return new Options(seed, duration, quick, report, command);
        }
    }

    /** One injected fault: milliseconds since the soak's start; what the servers had computed when it began. */
    record Fault(int number, FaultKind kind, String target, long startMillis, long endMillis,
                 Map<String, Double> serverCountsAtStart) {
    }

    private ChaosSoak() {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        ChaosReport report = run(options);
        Files.createDirectories(options.report().toAbsolutePath().getParent());
        Files.writeString(options.report(), report.markdown(), StandardCharsets.UTF_8);
        System.out.println(report.summary());
        System.out.println("wrote " + options.report());
        System.exit(report.broken().isEmpty() ? 0 : 1);
    }

    static ChaosReport run(Options options) throws Exception {
        long origin = System.nanoTime();
        try (DisposableBroker broker = DisposableBroker.start();
             Fleet fleet = new Fleet(broker, REPLY_TIMEOUT_MILLIS)) {
            fleet.start(SERVERS, GATEWAYS);
            long started = millisSince(origin);
            Map<String, URI> gateways = new LinkedHashMap<>();
            GATEWAYS.forEach(name -> gateways.put(name, fleet.uri(name)));
            Random random = new Random(options.seed());
            List<Fault> faults = new ArrayList<>();
            List<ChaosCall> calls;
            Map<String, Double> countsAtLoad;
            try (ChaosLoad load = new ChaosLoad(gateways, random.nextLong(), CALLS_PER_SECOND,
                    Duration.ofMillis(REPLY_TIMEOUT_MILLIS + 5000), origin)) {
                countsAtLoad = fleet.serverCounts(true);
                long end = started + options.duration().toMillis();
                List<FaultKind> firsts = new ArrayList<>(List.of(FaultKind.values()));
                Collections.shuffle(firsts, random);
                long next = started + WARM_UP_MILLIS;
                while (true) {
                    FaultKind kind = !firsts.isEmpty() ? firsts.remove(0)
                            : options.quick() ? null : FaultKind.values()[random.nextInt(FaultKind.values().length)];
                    if (kind == null || (!options.quick() && faults.size() >= FaultKind.values().length
                            && next + WINDOW_AFTER_MILLIS > end)) {
                        break;
                    }
                    holdUntil(origin, next);
                    Fault fault = inject(faults.size() + 1, kind, broker, fleet, random, origin);
                    faults.add(fault);
                    System.out.printf("fault %d at %.1f s: %s %s, %d ms%n", fault.number(), fault.startMillis() / 1000.0,
                            kind.label(), fault.target(), fault.endMillis() - fault.startMillis());
                    next = fault.endMillis() + (options.quick() ? 10_000 + random.nextInt(4000)
                            : 10_000 + random.nextInt(10_000));
                }
                holdUntil(origin, faults.get(faults.size() - 1).endMillis() + WINDOW_AFTER_MILLIS);
                calls = load.stop();
            }
            Map<String, Double> countsAtEnd = fleet.serverCounts(true);
            return new ChaosReport(options, calls, faults, countsAtLoad, countsAtEnd, millisSince(origin),
                    brokerLogLines(broker, "unknown delivery tag"), brokerLogLines(broker, "PRECONDITION_FAILED"));
        }
    }

    private static Fault inject(int number, FaultKind kind, DisposableBroker broker, Fleet fleet, Random random,
                                long origin) throws Exception {
        Map<String, Double> counts = fleet.serverCounts(true);
        String target = switch (kind) {
            case SERVER_KILLED, SERVER_PAUSED -> fleet.servers().get(random.nextInt(fleet.servers().size()));
            case GATEWAY_RESTARTED -> fleet.gateways().get(random.nextInt(fleet.gateways().size()));
            default -> "broker";
        };
        long start = millisSince(origin);
        switch (kind) {
            case BROKER_RESTART -> {
                broker.stopApp();
                holdUntil(origin, millisSince(origin) + 3000);
                broker.startApp();
            }
            case CONNECTIONS_CLOSED -> broker.rabbitmqctl("close_all_connections", "chaos soak");
            case SERVER_KILLED -> {
                fleet.kill(target);
                holdUntil(origin, millisSince(origin) + 3000);
                fleet.restart(target);
            }
            case GATEWAY_RESTARTED -> {
                fleet.terminate(target);
                fleet.restart(target);
            }
            case MEMORY_ALARM -> {
                broker.setMemoryHighWatermark(0.000001);
                holdUntil(origin, millisSince(origin) + 5000);
                broker.setMemoryHighWatermark(DisposableBroker.DEFAULT_MEMORY_HIGH_WATERMARK);
            }
            case SERVER_PAUSED -> {
                fleet.signal(target, "STOP");
                holdUntil(origin, millisSince(origin) + 4000);
                fleet.signal(target, "CONT");
            }
        }
        return new Fault(number, kind, target, start, millisSince(origin), counts);
    }

    /** The lines of the broker's log that contain this text. */
    private static long brokerLogLines(DisposableBroker broker, String text) throws IOException {
        try (var lines = Files.lines(broker.logFile(), StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.contains(text)).count();
        }
    }

    /**
     * Holds the soak's schedule until this time (ms since its start): a fault lasts so long, the next one comes
     * then. It waits for a time, not for a condition, so it parks rather than polls.
     */
    private static void holdUntil(long origin, long millis) {
        long deadline = origin + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    private static long millisSince(long origin) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - origin);
    }
}
