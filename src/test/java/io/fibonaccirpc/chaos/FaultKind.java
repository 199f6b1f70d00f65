package io.fibonaccirpc.chaos;

import java.util.Set;

/**
 * The faults the soak injects, each with the 5xx problem types README.md's fault table promises callers while it
 * lasts and in the {@link ChaosSoak#WINDOW_AFTER_MILLIS} after it, and the recovery it aims at (from the fault's
 * end to the first right answer on each gateway).
 */
enum FaultKind {

    BROKER_RESTART("broker restarted", "rabbitmqctl stop_app, 3 s down, start_app",
            Set.of("broker-unavailable", "connection-lost", "no-server"), 5000),
    CONNECTIONS_CLOSED("connections closed", "rabbitmqctl close_all_connections",
            Set.of("broker-unavailable", "connection-lost", "no-server"), 2000),
    SERVER_KILLED("server killed", "kill -9 of a server, started again 3 s later", Set.of(), 2000),
    GATEWAY_RESTARTED("gateway restarted", "SIGTERM of a gateway, started again once it has exited",
            Set.of("stopping"), 1000),
    MEMORY_ALARM("memory alarm", "vm_memory_high_watermark 0.000001 for 5 s, then back to 0.4",
            Set.of("broker-blocked", "reply-timeout"), -1),
    SERVER_PAUSED("server paused", "kill -STOP of a server, kill -CONT 4 s later", Set.of("reply-timeout"), -1);

    private final String label;
    private final String injection;
    private final Set<String> promised;
    private final long recoveryGoalMillis;

    FaultKind(String label, String injection, Set<String> promised, long recoveryGoalMillis) {
        this.label = label;
        this.injection = injection;
        this.promised = promised;
        this.recoveryGoalMillis = recoveryGoalMillis;
    }

    String label() {
        return label;
    }

    String injection() {
        return injection;
    }

    /** The problem types (after {@code urn:fibonacci-rpc:problem:}) a 5xx may have during the fault. */
    Set<String> promised() {
        return promised;
    }

    /** The goal for the time to the first right answer after the fault, ms; -1 when there is none. */
    long recoveryGoalMillis() {
        return recoveryGoalMillis;
    }
}
