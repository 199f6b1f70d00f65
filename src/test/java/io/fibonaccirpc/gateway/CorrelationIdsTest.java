package io.fibonaccirpc.gateway;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CorrelationIdsTest {

    @Test
    void ids_are_distinct_random_uuids_in_their_canonical_text() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            String id = CorrelationIds.next();
            UUID uuid = UUID.fromString(id);
            assertEquals(uuid.toString(), id, "canonical lower-case text");
            assertEquals(4, uuid.version(), id);
            assertEquals(2, uuid.variant(), id);
            assertTrue(seen.add(id), "repeated: " + id);
        }
    }
}
