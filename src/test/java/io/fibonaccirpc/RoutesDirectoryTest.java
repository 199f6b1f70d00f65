package io.fibonaccirpc;

import java.util.HashMap;
import java.util.Map;

import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** routes.dir (ROUTES_DIR) names the directory of the route files; a wrong name stops the start, saying so. */
class RoutesDirectoryTest {

    @Test
    void a_routes_dir_that_is_not_a_directory_stops_the_start_and_names_it() {
        Map<String, String> properties = new HashMap<>(
                RunningApplication.isolatedProperties(RunningApplication.newQueueName()));
        properties.put("routes.dir", "target/no-such-routes");

        RuntimeException failure = assertThrows(RuntimeException.class, () -> RunningApplication.start(properties));

        String messages = messages(failure);
        assertTrue(messages.contains("routes.dir (ROUTES_DIR) names ") && messages.contains("no-such-routes, which is "
                + "not a directory"), messages);
    }

    private static String messages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause).append('\n');
        }
        return messages.toString();
    }
}
