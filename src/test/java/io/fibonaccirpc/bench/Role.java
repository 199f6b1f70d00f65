package io.fibonaccirpc.bench;

/** The processes of a case, each with its own CPU column. */
enum Role {
    /** The load generator: the benchmark's own JVM (plain amqp-client caller), or wrk. */
    CALLER("caller"),
    /** The gateway process (the jar with RPC_ROLE=gateway). */
    GATEWAY("gateway"),
    /** The server process: the plain amqp-client server, or the jar with RPC_ROLE=server. */
    SERVER("server"),
    /** The RabbitMQ node (beam.smp). */
    BROKER("broker");

    private final String label;

    Role(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
