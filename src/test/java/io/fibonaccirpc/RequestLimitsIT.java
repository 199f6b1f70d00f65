package io.fibonaccirpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import io.fibonaccirpc.support.ApplicationProcess;
import io.fibonaccirpc.support.Http;
import io.fibonaccirpc.support.RunningApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP listener's request limits, as an operator sets them in the environment of the packaged jar
 * (HTTP_MAX_INITIAL_LINE_LENGTH, HTTP_MAX_HEADER_SIZE, HTTP_REQUEST_HEADER_TIMEOUT, HTTP_IDLE_TIMEOUT), each against
 * a raw client on a socket: a request line or headers past the limit are answered 414 or 431, a client that sends its
 * headers a byte at a time loses its connection after the header timeout, an idle one after the idle timeout; calls
 * within the limits are answered.
 */
class RequestLimitsIT {

    private static final String QUEUE = RunningApplication.newQueueName();
    private static final long HEADER_TIMEOUT_MILLIS = 1500;

    private static ApplicationProcess application;

    @BeforeAll
    static void startTheJarWithLimits() {
        application = ApplicationProcess.start("request-limits", Map.of(
                "RPC_QUEUE", QUEUE,
                "HTTP_MAX_INITIAL_LINE_LENGTH", "256",
                "HTTP_MAX_HEADER_SIZE", "1024",
                "HTTP_REQUEST_HEADER_TIMEOUT", Long.toString(HEADER_TIMEOUT_MILLIS)));
    }

    @AfterAll
    static void stop() {
        ApplicationProcess.closeAndDeleteQueues(application, QUEUE);
    }

    @Test
    void calls_within_the_limits_are_answered_on_a_kept_alive_connection() throws IOException {
        try (Socket socket = connect(application.baseUri().getPort())) {
            for (int call = 0; call < 2; call++) {
                socket.getOutputStream().write(("GET /fib/30 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "a".repeat(500)
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String answer = readAnswer(socket.getInputStream(), "832040");
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            }
        }
        assertEquals("832040", Http.get(application.uri("/fib/30")).body());
    }

    @Test
    void a_request_line_past_the_limit_is_answered_414() throws IOException {
        String answer = exchange("GET /fib/" + "1".repeat(300) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(answer.matches("(?s)HTTP/1\\.[01] 414 .*"), answer);
    }

    @Test
    void headers_past_the_limit_are_answered_431() throws IOException {
        String answer = exchange("GET /fib/30 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "a".repeat(2000) + "\r\n\r\n");
        assertTrue(answer.matches("(?s)HTTP/1\\.[01] 431 .*"), answer);
    }

    @Test
    void a_client_sending_its_headers_a_byte_at_a_time_loses_its_connection_after_the_header_timeout()
            throws IOException {
        byte[] request = ("GET /fib/30 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(200) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = connect(application.baseUri().getPort())) {
            socket.setSoTimeout(100);
            long started = System.nanoTime();
            boolean closed = false;
            // a byte every 100 ms: never idle, 21 s for the whole request; bounded by the request's length
            for (int i = 0; i < request.length && !closed; i++) {
                try {
                    socket.getOutputStream().write(request[i]);
                    socket.getOutputStream().flush();
                    closed = socket.getInputStream().read() < 0;
                } catch (SocketTimeoutException e) {
                    // nothing came back: the listener still waits for the headers
                } catch (SocketException e) {
                    closed = true; // reset
                }
            }
            long heldMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(closed, "the connection was still open after the whole request was trickled");
            assertTrue(heldMillis >= HEADER_TIMEOUT_MILLIS - 100 && heldMillis < HEADER_TIMEOUT_MILLIS + 2000,
                    "closed after " + heldMillis + " ms, the header timeout being " + HEADER_TIMEOUT_MILLIS + " ms");
        }
        assertTrue(application.isAlive());
    }

    @Test
    void an_idle_connection_is_closed_after_the_idle_timeout() throws IOException {
        try (ApplicationProcess idle = ApplicationProcess.start("request-limits-idle", Map.of(
                "RPC_QUEUE", QUEUE,
                "HTTP_IDLE_TIMEOUT", "1",
                "HTTP_REQUEST_HEADER_TIMEOUT", "30000"));
             Socket socket = connect(idle.baseUri().getPort())) {
            socket.getOutputStream().write("GET /fib/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            String answer = readAnswer(socket.getInputStream(), null);
            long heldMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertTrue(heldMillis >= 900 && heldMillis < 5000, "closed after " + heldMillis + " ms, idle timeout 1 s");
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
        return socket;
    }

    /** Writes the request on a new connection; what came back until the listener closed it (10 s at most). */
    private static String exchange(String request) throws IOException {
        try (Socket socket = connect(application.baseUri().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return readAnswer(socket.getInputStream(), null);
        }
    }

    /** Reads until this text has come (null: until the connection closes), or the socket's read timeout. */
    private static String readAnswer(InputStream in, String until) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                answer.write(buffer, 0, read);
                if (until != null && answer.toString(StandardCharsets.ISO_8859_1).contains(until)) {
                    break;
                }
            }
        } catch (SocketException e) {
            // reset after the answer: what came is the answer
        }
        return answer.toString(StandardCharsets.ISO_8859_1);
    }
}
