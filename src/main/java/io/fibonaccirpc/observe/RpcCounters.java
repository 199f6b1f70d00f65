package io.fibonaccirpc.observe;

import java.util.concurrent.atomic.LongAdder;

/** What the RPC counts as it goes, for tests and operators. */
public final class RpcCounters {

    private final LongAdder lateReplies = new LongAdder();
    private final LongAdder expiredRequests = new LongAdder();

    /** Replies dropped at the gateway because their caller had given up. */
    public LongAdder lateReplies() {
        return lateReplies;
    }

    /** Requests a server dropped uncomputed because their caller's deadline had passed (counted by ServerMetrics). */
    public LongAdder expiredRequests() {
        return expiredRequests;
    }
}
