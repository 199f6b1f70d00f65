package io.fibonaccirpc.broker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.apache.camel.Service;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.amqp.rabbit.core.RabbitAdmin;

/** The connections to the broker: where, as whom, over TLS or not, and what listens to them. */
public final class BrokerConnections {

    /**
     * Where and how to connect ({@code rabbitmq.*} in application.properties).
     *
     * @param addresses          the nodes of a cluster, {@code host:port,...}; when not blank, host and port are not used
     * @param trustStore         a trust store file (PKCS12 or JKS) for TLS, blank for the JVM's
     * @param connectionName     what the broker shows as the connection's name
     */
    public record Settings(String host, int port, String addresses, String username, String password, String vhost,
            boolean tls, String trustStore, String trustStorePassword, String connectionName) {
    }

    private BrokerConnections() {
    }

    /**
     * The connection factory of the routes. Its publisher connection (the gateway's queue probe) is named apart.
     * A request that no queue takes comes back to its caller (mandatory publish) instead of vanishing: to a
     * return listener on each channel ({@code returns}), not through Spring's publisher returns, which would put a
     * header of Spring's on every request.
     */
    public static CachingConnectionFactory connectionFactory(Settings settings, ReturnedRequests returns) {
        CachingConnectionFactory factory = new CachingConnectionFactory(settings.host(), settings.port());
        if (!settings.addresses().isBlank()) {
            // the nodes of a cluster: each connection goes to one of them, picked at random (Spring's default
            // shuffle mode), and to another when it is lost; the publisher connection takes the same list
            factory.setAddresses(settings.addresses().strip());
        }
        factory.setUsername(settings.username());
        factory.setPassword(settings.password());
        factory.setVirtualHost(settings.vhost());
        factory.setConnectionNameStrategy(f -> "fibonacci-rpc " + settings.connectionName());
        ((AbstractConnectionFactory) factory.getPublisherConnectionFactory())
                .setConnectionNameStrategy(f -> "fibonacci-rpc publisher (" + settings.connectionName() + ")");
        factory.addChannelListener(returns);
        if (settings.tls()) {
            factory.getRabbitConnectionFactory().useSslProtocol(sslContext(settings));
            factory.getRabbitConnectionFactory().enableHostnameVerification();
        }
        return factory;
    }

    /**
     * Listens to the connection that publishes requests, takes replies and consumes {@code rpc_queue}, not to the
     * publisher connection of the gateway's queue probe (which Spring's addConnectionListener also gives the
     * listener to): a lost probe connection costs no call.
     */
    public static void listenToRequestConnection(ConnectionFactory factory, ConnectionListener listener) {
        factory.addConnectionListener(listener);
        ConnectionFactory publisher = factory.getPublisherConnectionFactory();
        if (publisher != null && publisher != factory) {
            publisher.removeConnectionListener(listener);
        }
    }

    /**
     * A service of the context that closes the factory's connections, its publisher connection's too, when the context
     * stops, after its routes: the broker sees them closed by the application, not dropped, and a context stopped in a
     * JVM that goes on leaves none open. The factory makes no connection after that.
     */
    public static Service closedOnStop(CachingConnectionFactory factory) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                factory.destroy();
            }
        };
    }

    /** Declares what the routes declare ({@link QueueDeclarations}), initialised. */
    public static RabbitAdmin admin(ConnectionFactory connectionFactory) {
        RabbitAdmin admin = new QueueDeclarations(connectionFactory);
        admin.afterPropertiesSet();
        return admin;
    }

    /** The JVM's TLS context, or one that trusts the certificates of the settings' trust store. */
    private static SSLContext sslContext(Settings settings) {
        String trustStore = settings.trustStore();
        try {
            if (trustStore.isBlank()) {
                return SSLContext.getDefault();
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            try (InputStream in = Files.newInputStream(Path.of(trustStore))) {
                String password = settings.trustStorePassword();
                trusted.load(in, password.isEmpty() ? null : password.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS to the broker with trust store '" + trustStore + "'", e);
        }
    }
}
