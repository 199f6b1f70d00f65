package io.fibonaccirpc.tutorial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.RpcClient;
import com.rabbitmq.client.RpcClientParams;

/**
 * A caller written with the RabbitMQ Java client's own {@link RpcClient}, as its documentation suggests for
 * RPC: default exchange, the request queue as routing key, replies through direct reply-to
 * ({@code amq.rabbitmq.reply-to}, the library's default), correlation ids from its counter. One connection and
 * channel of its own.
 */
public final class JavaRpcClientTutorial implements AutoCloseable {

    private final Connection connection;
    private final RpcClient rpcClient;

    private JavaRpcClientTutorial(Connection connection, RpcClient rpcClient) {
        this.connection = connection;
        this.rpcClient = rpcClient;
    }

    /** An RpcClient of the queue, on a connection of its own. */
    public static JavaRpcClientTutorial connect(ConnectionFactory factory, String requestQueue) throws IOException {
        Connection connection;
        try {
            connection = factory.newConnection("java RpcClient");
        } catch (TimeoutException e) {
            throw new IOException("the RpcClient cannot connect", e);
        }
        try {
            RpcClientParams params = new RpcClientParams()
                    .channel(connection.createChannel())
                    .exchange("")
                    .routingKey(requestQueue);
            return new JavaRpcClientTutorial(connection, new RpcClient(params));
        } catch (IOException | RuntimeException e) {
            connection.abort();
            throw e;
        }
    }

    /** The reply to this body, by {@link RpcClient#doCall} with the timeout. */
    public Reply call(String body, Duration timeout) throws IOException, TimeoutException {
        RpcClient.Response response = rpcClient.doCall(null, body.getBytes(StandardCharsets.UTF_8),
                Math.toIntExact(timeout.toMillis()));
        return Reply.of(response.getProperties(), response.getBody());
    }

    @Override
    public void close() throws IOException {
        try {
            rpcClient.close();
        } catch (AlreadyClosedException e) {
            // the broker closed the channel already
        } finally {
            try {
                connection.close(5_000);
            } catch (AlreadyClosedException e) {
                // the broker closed it already
            }
        }
    }
}
