package io.fibonaccirpc.chaos;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The chaos soak's short fixed-seed run ({@code scripts/chaos --quick}): every kind of fault once, on the packaged
 * jar, about two minutes; any broken promise fails it. Its report is target/chaos-report-quick.md.
 */
class ChaosSoakIT {

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void every_promise_of_the_readme_holds_under_every_kind_of_fault() throws Exception {
        ChaosReport report = ChaosSoak.run(ChaosSoak.Options.parse("--quick", "--seed", "1", "--command",
                "ChaosSoakIT: scripts/chaos --quick --seed 1"));
        Path file = Path.of("target", "chaos-report-quick.md");
        Files.writeString(file, report.markdown(), StandardCharsets.UTF_8);
        System.out.println(report.summary());
        assertEquals(List.of(FaultKind.values()).size(), report.faultKinds().size(),
                "every kind of fault injected: " + report.faultKinds());
        assertEquals(List.of(), report.broken(), "broken promises (" + file + "):\n"
                + String.join("\n", report.broken()));
    }
}
