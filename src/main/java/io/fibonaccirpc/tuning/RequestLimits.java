package io.fibonaccirpc.tuning;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * What the HTTP listener takes from a client, at most (camel-platform-http-main sets none of it):
 * <ul>
 * <li>a request line ({@code GET /fib/30 HTTP/1.1}) of {@code maxInitialLineLength} bytes (longer: 414), and
 * headers of {@code maxHeaderSize} bytes all together (more: 431), which also bounds how many there are;</li>
 * <li>a connection with nothing read or written for {@code idleTimeoutSeconds} is closed;</li>
 * <li>a connection must deliver each request's line and headers within {@code requestHeaderTimeoutMillis} of its
 * opening or of its previous answer, else it is closed: a client that sends its headers a byte at a time (slow
 * loris) is never idle, but holds its connection no longer than that. A kept-alive connection waiting for its next
 * request longer than that is closed the same way.</li>
 * </ul>
 * Vert.x sees a request only once its headers are read, so the wait is measured from the connection's opening or the
 * end of its last answer, and looked at every quarter of the timeout.
 */
public final class RequestLimits {

    private final int maxInitialLineLength;
    private final int maxHeaderSize;
    private final int idleTimeoutSeconds;
    private final long requestHeaderTimeoutMillis;
    /** The open connections, each with the moment it began waiting for a request. */
    private final Map<HttpConnection, Waiting> connections = new ConcurrentHashMap<>();
    private long sweep = -1;

    public RequestLimits(int maxInitialLineLength, int maxHeaderSize, int idleTimeoutSeconds,
                         long requestHeaderTimeoutMillis) {
        this.maxInitialLineLength = maxInitialLineLength;
        this.maxHeaderSize = maxHeaderSize;
        this.idleTimeoutSeconds = idleTimeoutSeconds;
        this.requestHeaderTimeoutMillis = requestHeaderTimeoutMillis;
    }

    /** A connection's wait for its next request; written on its event loop, read by the sweep. */
    private static final class Waiting {
        static final long ANSWERING = Long.MIN_VALUE;
        volatile long since = System.nanoTime();
        int answering;
    }

    /**
     * The server options of these limits. Without the upgrade to HTTP/2 over clear text (h2c, on by default in Vert.x),
     * which would make the connection only once a request's headers are all read: a connection trickling them would
     * not be seen.
     */
    HttpServerOptions options() {
        return new HttpServerOptions().setMaxInitialLineLength(maxInitialLineLength).setMaxHeaderSize(maxHeaderSize)
                .setIdleTimeout(idleTimeoutSeconds).setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setHttp2ClearTextEnabled(false);
    }

    /**
     * Watches the connections of this server (before it listens) and hands its requests to this handler; starts the
     * sweep that closes the connections past the request header timeout.
     */
    void watch(Vertx vertx, HttpServer server, Handler<HttpServerRequest> requests) {
        server.connectionHandler(connection -> {
            connections.put(connection, new Waiting());
            connection.closeHandler(closed -> connections.remove(connection));
        });
        server.requestHandler(request -> {
            Waiting waiting = connections.get(request.connection());
            if (waiting != null) {
                waiting.answering++;
                waiting.since = Waiting.ANSWERING;
            }
            requests.handle(request);
        });
        long period = Math.max(50, requestHeaderTimeoutMillis / 4);
        sweep = vertx.setPeriodic(period, id -> closeTheLate());
    }

    /** Called for each request the routes see: once it is answered, its connection waits for the next one. */
    void answering(RoutingContext request) {
        HttpConnection connection = request.request().connection();
        request.addEndHandler(ended -> {
            Waiting waiting = connections.get(connection);
            if (waiting != null && --waiting.answering <= 0) {
                waiting.answering = 0;
                waiting.since = System.nanoTime();
            }
        });
    }

    void stop(Vertx vertx) {
        if (sweep >= 0) {
            vertx.cancelTimer(sweep);
            sweep = -1;
        }
    }

    private void closeTheLate() {
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(requestHeaderTimeoutMillis);
        connections.forEach((connection, waiting) -> {
            long since = waiting.since;
            if (since != Waiting.ANSWERING && now - since > limit) {
                connections.remove(connection);
                connection.close();
            }
        });
    }
}
