package io.fibonaccirpc.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WrkTest {

    private static final String REPORT = """
            Running 3s test @ http://127.0.0.1:40123/fib/30
              1 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency    21.05ms    6.01ms  131.70ms   90.12%
                Req/Sec     3.01k   312.45     3.40k    80.00%
              Latency Distribution
                 50%   20.82ms
                 75%   22.10ms
                 90%   25.60ms
                 99%   51.35ms
              9000 requests in 3.00s, 1.20MB read
              Socket errors: connect 0, read 2, write 0, timeout 3
              Non-2xx or 3xx responses: 40
            Requests/sec:   3000.00
            Transfer/sec:    409.60KB
            wrk cpu ticks: 18
            """;

    @Test
    void reads_calls_latencies_errors_and_cpu_from_the_report() {
        Wrk.Result result = Wrk.parse(REPORT, 3_000_000_000L);

        assertEquals(9000, result.requests());
        assertEquals(3.0, result.seconds(), 1e-9);
        assertEquals(20.82, result.p50Millis(), 1e-9);
        assertEquals(51.35, result.p99Millis(), 1e-9);
        assertEquals(40, result.non2xx());
        assertEquals(5, result.socketErrors());
        assertEquals(100.0 * 18 / ProcessCpu.CLOCK_TICKS_PER_SECOND / 3, result.cpuPercent(), 1e-9);
        Run run = result.run();
        assertEquals((9000 - 40) / 3.0, run.callsPerSecond(), 1e-9);
        assertEquals(45, run.errors());
    }

    @Test
    void reads_every_unit_of_time_as_milliseconds() {
        assertEquals(0.196, Wrk.millis("196.00us"), 1e-9);
        assertEquals(1.8, Wrk.millis("1.80ms"), 1e-9);
        assertEquals(2090, Wrk.millis("2.09s"), 1e-9);
        assertEquals(60_000, Wrk.millis("1.00m"), 1e-9);
    }
}
