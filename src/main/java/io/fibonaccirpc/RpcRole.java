package io.fibonaccirpc;

import java.util.Locale;

/** What one process runs: both sides of the RPC, or only the server, or only the HTTP gateway. */
public enum RpcRole {
    ALL(null, null),
    SERVER(RpcRole.SERVER_ROUTES, null),
    CLIENT(null, RpcRole.SERVER_ROUTES);

    /** The ids of the routes that serve {@code rpc_queue}; every other route belongs to the client side. */
    static final String SERVER_ROUTES = "fibonacci-server*";

    private final String includeRoutes;
    private final String excludeRoutes;

    RpcRole(String includeRoutes, String excludeRoutes) {
        this.includeRoutes = includeRoutes;
        this.excludeRoutes = excludeRoutes;
    }

    public static RpcRole of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "rpc.role (RPC_ROLE) must be all, server or client, was '" + name + "'", e);
        }
    }

    /** Route ids to keep, as a Camel route filter pattern; null keeps all. */
    public String includeRoutes() {
        return includeRoutes;
    }

    /** Route ids to leave out, as a Camel route filter pattern; null leaves out none. */
    public String excludeRoutes() {
        return excludeRoutes;
    }
}
