package io.fibonaccirpc.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.fibonaccirpc.support.CallStream.Tally;

/**
 * The fault report's rows: a test that injects a fault or a bad input records one row with what it injected and
 * what the callers saw, from the data its assertions check. Record first, then assert: recording throws nothing
 * but an I/O failure, and catches nothing, so it never turns a failing test into a passing one.
 * <p>
 * Each row is one line appended to {@code target/fault-report/rows-<test class>.tsv}, so that the surefire and
 * the failsafe JVM both contribute; {@code scripts/fault-report} turns them into {@code docs/fault-report.md}.
 * Columns, separated by tabs (a tab, newline, carriage return or backslash inside a field is written as
 * {@code \t}, {@code \n}, {@code \r}, {@code \\}):
 * <pre>
 * test  fault  injected  calls  2xx  4xx  5xx  wrong  lost  stale  stale-seen-by  recovery-ms  callers-saw
 * </pre>
 * {@code stale} and {@code recovery-ms} are {@code n/a} where the test cannot observe them or they do not apply.
 * <ul>
 * <li><b>calls</b>: the calls the test made, HTTP or raw AMQP. For an AMQP call, a value reply counts as 2xx, an
 * {@code INVALID_ARGUMENT} or {@code OUT_OF_RANGE} error reply as 4xx, any other error reply as 5xx.</li>
 * <li><b>wrong</b>: answers that are a value, but not the caller's.</li>
 * <li><b>lost</b>: calls of a live caller that got no answer at all.</li>
 * <li><b>stale</b>: requests a server took up after their caller had been answered with an error or had given
 * up, or took up a second time; {@code stale-seen-by} says how the test saw them.</li>
 * </ul>
 */
public final class FaultReport {

    /** Where the rows go, relative to the project folder (the working directory of surefire and failsafe). */
    public static final Path FOLDER = Path.of("target", "fault-report");
    private static final String NOT_APPLICABLE = "n/a";

    private final Class<?> testClass;

    private FaultReport(Class<?> testClass) {
        this.testClass = testClass;
    }

    /** The report of this test class: its rows go to {@code rows-<simple name>.tsv}. */
    public static FaultReport of(Class<?> testClass) {
        return new FaultReport(testClass);
    }

    /** A new row for this fault or bad input; nothing is written until {@link Row#record()}. */
    public Row row(String fault) {
        return new Row(fault);
    }

    public Path file() {
        return FOLDER.resolve("rows-" + testClass.getSimpleName() + ".tsv");
    }

    /** One fault or bad input and what its callers saw. The counts add up over the calls given. */
    public final class Row {

        private final String fault;
        private String injected = "";
        private long calls;
        private long ok;
        private long clientErrors;
        private long serverErrors;
        private long wrong;
        private long lost;
        private String stale = NOT_APPLICABLE;
        private String staleSeenBy = "not observable in this test";
        private String recovery = NOT_APPLICABLE;
        private String callersSaw = "";

        private Row(String fault) {
            this.fault = fault;
        }

        /** What the test injected, and how. */
        public Row injected(String injected) {
            this.injected = injected;
            return this;
        }

        /** HTTP calls as a {@link CallStream} tallied them: calls, status classes, wrong answers, lost calls. */
        public Row calls(Tally tally) {
            calls += tally.size();
            ok += tally.ok();
            clientErrors += tally.clientErrors();
            serverErrors += tally.serverErrors();
            wrong += tally.wrong();
            lost += tally.lost();
            return this;
        }

        /** HTTP calls recorded by {@link CallStream#call}. */
        public Row calls(List<CallStream.Call> calls) {
            return calls(new Tally(calls, 0));
        }

        /** One HTTP call answered with this status; -1: no answer (lost). Wrong answers are added with {@link #wrong}. */
        public Row http(int status) {
            calls++;
            switch (status / 100) {
                case 2 -> ok++;
                case 4 -> clientErrors++;
                case 5 -> serverErrors++;
                default -> {
                    if (status < 0) {
                        lost++;
                    }
                }
            }
            return this;
        }

        /** One raw AMQP call of a live caller and its reply; null: no reply came (lost). */
        public Row amqp(AmqpRpcCaller.Reply reply) {
            calls++;
            if (reply == null) {
                lost++;
            } else if (reply.error() == null) {
                ok++;
            } else if (reply.error().equals("INVALID_ARGUMENT") || reply.error().equals("OUT_OF_RANGE")) {
                clientErrors++;
            } else {
                serverErrors++;
            }
            return this;
        }

        /** Calls that no caller waits on (no reply_to, or a caller past its deadline): counted, never lost. */
        public Row unanswerable(long calls) {
            this.calls += calls;
            return this;
        }

        /** Answers that are a value, but not the caller's. */
        public Row wrong(long wrong) {
            this.wrong += wrong;
            return this;
        }

        /** Stale computations as the test saw them, and how it saw them. */
        public Row stale(long stale, String seenBy) {
            this.stale = Long.toString(stale);
            this.staleSeenBy = seenBy;
            return this;
        }

        /** Why this test cannot see stale computations (the default: not observable). */
        public Row staleNotObservable(String why) {
            this.stale = NOT_APPLICABLE;
            this.staleSeenBy = why;
            return this;
        }

        /** Time from the end of the fault until calls succeeded again. */
        public Row recoveredAfter(long millis) {
            this.recovery = Long.toString(millis);
            return this;
        }

        /** Calls did not succeed again within this many milliseconds of the end of the fault. */
        public Row notRecoveredWithin(long millis) {
            this.recovery = "none within " + millis;
            return this;
        }

        /** In a few words, what the callers saw. */
        public Row callersSaw(String callersSaw) {
            this.callersSaw = callersSaw;
            return this;
        }

        /** Appends the row to this test class's file. */
        public void record() {
            String line = Stream.of(testClass.getSimpleName() + "#" + testMethod(), fault, injected,
                            Long.toString(calls), Long.toString(ok), Long.toString(clientErrors),
                            Long.toString(serverErrors), Long.toString(wrong), Long.toString(lost), stale, staleSeenBy,
                            recovery, callersSaw)
                    .map(FaultReport::escape)
                    .collect(Collectors.joining("\t", "", "\n"));
            synchronized (FaultReport.class) {
                try {
                    Files.createDirectories(FOLDER);
                    // one write per row in append mode: rows of several threads or JVMs never interleave
                    Files.writeString(file(), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot record a fault report row in " + file(), e);
                }
            }
        }

        /** The outermost method of the test class on the stack: the test method, not a helper it calls. */
        private String testMethod() {
            return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                    .walk(frames -> frames.filter(frame -> frame.getDeclaringClass() == testClass)
                            .reduce((inner, outer) -> outer)
                            .map(StackWalker.StackFrame::getMethodName)
                            .orElse("?"));
        }
    }

    /**
     * The outcome of a call, or null when it did not come within this time or failed: a test gathers its
     * calls' outcomes this way, records its row, then asserts on them (null fails those assertions).
     */
    public static <T> T outcomeWithin(CompletableFuture<T> call, Duration wait) {
        try {
            return call.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The statuses of a tally in a few words: {@code 200 x 40, 503 x 12}; no HTTP answer shows as "none". */
    public static String statuses(Tally tally) {
        return tally.statuses().entrySet().stream()
                .map(status -> (status.getKey() < 0 ? "none" : status.getKey().toString()) + " x " + status.getValue())
                .collect(Collectors.joining(", "));
    }

    private static String escape(String field) {
        StringBuilder escaped = new StringBuilder(field.length());
        for (char c : field.toCharArray()) {
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '\t' -> escaped.append("\\t");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
