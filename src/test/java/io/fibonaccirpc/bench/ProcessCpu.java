package io.fibonaccirpc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * CPU time of processes from {@code /proc/<pid>/stat} (utime + stime, in clock ticks), sampled before and
 * after a run: {@link #start} then {@link #stop} gives each process's CPU as % of one core over that time.
 */
final class ProcessCpu {

    static final long CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();

    private final Map<Role, Long> pids;
    private final Map<Role, Long> startTicks = new EnumMap<>(Role.class);
    private final long startNanos;

    private ProcessCpu(Map<Role, Long> pids) {
        this.pids = pids;
        pids.forEach((role, pid) -> startTicks.put(role, ticks(pid)));
        this.startNanos = System.nanoTime();
    }

    /** Starts measuring these processes. */
    static ProcessCpu start(Map<Role, Long> pids) {
        return new ProcessCpu(pids);
    }

    /** CPU of each process since {@link #start}, as % of one core; a process that cannot be read is left out. */
    Map<Role, Double> stop() {
        long elapsedNanos = System.nanoTime() - startNanos;
        Map<Role, Double> percent = new EnumMap<>(Role.class);
        pids.forEach((role, pid) -> {
            long before = startTicks.get(role);
            long after = ticks(pid);
            if (before >= 0 && after >= before) {
                percent.put(role, percentOfOneCore(after - before, elapsedNanos));
            }
        });
        return percent;
    }

    static double percentOfOneCore(long ticks, long elapsedNanos) {
        return 100.0 * ticks / CLOCK_TICKS_PER_SECOND / (elapsedNanos / 1e9);
    }

    /** utime + stime of a process in clock ticks, or -1 when it cannot be read (gone, or not Linux). */
    static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) is in parentheses and may hold spaces: count fields after it
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15: utime, stime
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String output = new String(getconf.getInputStream().readAllBytes()).strip();
            if (getconf.waitFor(5, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
                return Long.parseLong(output);
            }
        } catch (IOException | RuntimeException e) {
            // fall back to Linux's USER_HZ below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
