package io.fibonaccirpc.broker;

import java.util.Map;

import com.rabbitmq.client.ShutdownSignalException;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.springframework.amqp.rabbit.connection.Connection;
import org.springframework.amqp.rabbit.connection.ConnectionListener;

/**
 * Readiness: DOWN while the application's connection to the broker is closed (the broker stopped, unreachable, or
 * refusing the connection), UP once it is open again. It goes by what the connection factory tells its listeners
 * and never connects itself, so a probe answers at once even when the broker does not: the application reconnects
 * by itself (the server's consumers within half a second, the gateway's canary every half
 * {@code rpc.server-check-interval}). Only the connection that carries the calls counts, not the gateway's probe.
 * Not a liveness check: restarting the process would not bring the broker back.
 */
public final class BrokerHealthCheck extends AbstractHealthCheck implements ConnectionListener {

    private volatile boolean open;
    private volatile String lastFailure = "not connected to the broker yet";

    public BrokerHealthCheck() {
        super("fibonacci-rpc", "broker");
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (open) {
            builder.up();
        } else {
            // Camel writes the message into the JSON answer as it is
            builder.down().message(lastFailure.replace('"', '\'').replace('\\', '/').replaceAll("\\s+", " "));
        }
    }

    @Override
    public void onCreate(Connection connection) {
        open = true;
    }

    @Override
    public void onClose(Connection connection) {
        open = false;
        lastFailure = "the connection to the broker is closed";
    }

    @Override
    public void onShutDown(ShutdownSignalException signal) {
        open = false;
        lastFailure = "the connection to the broker was closed: " + signal.getMessage();
    }

    @Override
    public void onFailed(Exception failure) {
        open = false;
        lastFailure = "cannot connect to the broker: " + failure.getMessage();
    }
}
