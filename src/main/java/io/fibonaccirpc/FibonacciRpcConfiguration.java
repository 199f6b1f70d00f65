package io.fibonaccirpc;

import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.PropertyInject;
import org.apache.camel.model.Model;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;

/**
 * The wiring of the application: the broker connection, the beans the routes call, and which routes this
 * process runs ({@code rpc.role}). Every value comes from {@code application.properties} or the environment.
 */
@Configuration
public class FibonacciRpcConfiguration implements CamelConfiguration {

    @PropertyInject("rpc.role")
    private String role;

    @Override
    public void configure(CamelContext camelContext) {
        RpcRole rpcRole = RpcRole.of(role);
        camelContext.getCamelContextExtension().getContextPlugin(Model.class)
                .setRouteFilterPattern(rpcRole.includeRoutes(), rpcRole.excludeRoutes());
        camelContext.addLifecycleStrategy(new ReplyListenerWarmUp());
    }

    @BindToRegistry("rabbitConnectionFactory")
    public ConnectionFactory rabbitConnectionFactory(
            @PropertyInject("rabbitmq.host") String host,
            @PropertyInject("rabbitmq.port") int port,
            @PropertyInject("rabbitmq.username") String username,
            @PropertyInject("rabbitmq.password") String password,
            @PropertyInject("rabbitmq.vhost") String vhost,
            @PropertyInject("rpc.role") String role) {
        CachingConnectionFactory factory = new CachingConnectionFactory(host, port);
        factory.setUsername(username);
        factory.setPassword(password);
        factory.setVirtualHost(vhost);
        factory.setConnectionNameStrategy(f -> "fibonacci-rpc " + RpcRole.of(role).name().toLowerCase());
        return factory;
    }

    @BindToRegistry("fibonacci")
    public Fibonacci fibonacci(@PropertyInject("fibonacci.max-n") int maxN) {
        return new Fibonacci(maxN);
    }

    @BindToRegistry("rpcReplies")
    public RpcReplies rpcReplies() {
        return new RpcReplies();
    }

    @BindToRegistry("problems")
    public Problems problems(@PropertyInject("rpc.reply-timeout") long replyTimeoutMillis) {
        return new Problems(replyTimeoutMillis);
    }
}
