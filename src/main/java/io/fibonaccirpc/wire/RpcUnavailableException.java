package io.fibonaccirpc.wire;

/** A call that cannot be made now, said at once instead of after the reply timeout. */
public class RpcUnavailableException extends RuntimeException {

    /** Why the call cannot be made. */
    public enum Reason {
        /** The request queue does not exist. */
        NO_QUEUE,
        /** The request queue exists, but no server consumes it. */
        NO_SERVER,
        /** The broker refuses publishes for now (a memory or disk alarm). */
        BROKER_BLOCKED,
        /** The gateway is not connected to the broker, or not yet ready again after a lost connection. */
        BROKER_UNAVAILABLE,
        /** The connection to the broker closed while the call waited for its reply. */
        CONNECTION_LOST,
        /** The gateway already has as many calls in flight as it allows. */
        OVERLOADED,
        /** The gateway is stopping: it takes no new call (another gateway does). */
        STOPPING;

        /** The title of its problem answer ({@link CallProblem}). */
        public String title() {
            return CallProblem.of(this).title();
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
