package io.fibonaccirpc.wire;

/** A call that cannot be made now, said at once instead of after the reply timeout. */
public class RpcUnavailableException extends RuntimeException {

    /** Why the call cannot be made. */
    public enum Reason {
        /** The request queue does not exist. */
        NO_QUEUE("The request queue does not exist"),
        /** The request queue exists, but no server consumes it. */
        NO_SERVER("No server consumes the request queue"),
        /** The broker refuses publishes for now (a memory or disk alarm). */
        BROKER_BLOCKED("The broker is not accepting requests"),
        /** The gateway is not connected to the broker, or not yet ready again after a lost connection. */
        BROKER_UNAVAILABLE("The message broker is unavailable"),
        /** The connection to the broker closed while the call waited for its reply. */
        CONNECTION_LOST("The connection to the broker was lost"),
        /** The gateway already has as many calls in flight as it allows. */
        OVERLOADED("Too many calls in flight"),
        /** The gateway is stopping: it takes no new call (another gateway does). */
        STOPPING("The gateway is stopping");

        private final String title;

        Reason(String title) {
            this.title = title;
        }

        public String title() {
            return title;
        }

    }

    private final Reason reason;

    public RpcUnavailableException(Reason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public Reason getReason() {
        return reason;
    }
}
