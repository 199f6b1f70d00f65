package io.fibonaccirpc.bench;

/**
 * One case of the benchmark: who calls whom, fib(n), and how many calls are in flight (for wrk: connections).
 */
record Case(Kind kind, int n, int inFlight) {

    enum Kind {
        BASELINE_CALLBACK_QUEUE("baseline, shared reply queue",
                "plain amqp-client caller (exclusive reply queue + correlation map) -> plain amqp-client server"),
        BASELINE_DIRECT_REPLY_TO("baseline, direct reply-to",
                "plain amqp-client caller (direct reply-to) -> plain amqp-client server"),
        SERVER_ROUTE("server route alone",
                "plain amqp-client caller (exclusive reply queue) -> the jar, RPC_ROLE=server"),
        FLOOR_GATEWAY("floor: plain HTTP gateway",
                "wrk -> a plain Vert.x HTTP server publishing with amqp-client (no Camel, no Spring) -> plain "
                        + "amqp-client server"),
        MINIMAL_CAMEL_GATEWAY("minimal Camel gateway",
                "wrk -> the jar, RPC_ROLE=gateway, with one route of nothing but the InOut call -> the jar, "
                        + "RPC_ROLE=server"),
        STOCK_GATEWAY("stock components",
                "wrk -> the jar, RPC_ROLE=gateway, RPC_TUNING=false (the same routes on Camel's and Spring's stock "
                        + "components) -> the jar, RPC_ROLE=server"),
        GATEWAY("gateway end to end",
                "wrk -> the jar, RPC_ROLE=gateway (HTTP) -> the jar, RPC_ROLE=server");

        private final String label;
        private final String description;

        Kind(String label, String description) {
            this.label = label;
            this.description = description;
        }

        String label() {
            return label;
        }

        String description() {
            return description;
        }
    }

    /** Whether the case has a crowd of callers (1,000 connections): its runs are longer. */
    boolean crowd() {
        return inFlight >= 1000;
    }

    /** The baseline this case's calls/s and p50 are compared with: the shared reply queue, same n and in flight. */
    Case baseline() {
        return new Case(Kind.BASELINE_CALLBACK_QUEUE, n, inFlight);
    }
}
