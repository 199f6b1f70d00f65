package io.fibonaccirpc.faults;

import java.util.LinkedHashMap;
import java.util.Map;

import io.fibonaccirpc.support.DisposableBroker;
import io.fibonaccirpc.support.RunningApplication;



/** The application's properties for a fault test: its disposable broker, a queue of its own, a free HTTP port. */
final class FaultApplications {

    private FaultApplications() {
    }

    /**
     * @param role               all, server or gateway (rpc.role)
     * @param replyTimeoutMillis rpc.reply-timeout: small, to keep the tests fast
     */
    static Map<String, String> properties(DisposableBroker broker, String queue, String role, long replyTimeoutMillis) {
        Map<String, String> properties = new LinkedHashMap<>(broker.applicationProperties());
        properties.put("rpc.role", role);
        properties.put("rpc.queue", queue);
        properties.put("rpc.dead-letter-queue", queue + ".dead-letters");
        properties.put("rpc.reply-timeout", Long.toString(replyTimeoutMillis));
        properties.put("http.host", "127.0.0.1");
        properties.put("http.port", Integer.toString(RunningApplication.freePort()));
        return properties;
    }

    static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
