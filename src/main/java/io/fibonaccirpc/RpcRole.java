package io.fibonaccirpc;

import java.util.List;
import java.util.Locale;

/**
 * What one process runs: both sides of the RPC, or only the server, or only the HTTP gateway. A side is a folder of
 * route files ({@code routes/server/}, {@code routes/gateway/}): a role is the list of folders it loads.
 */
public enum RpcRole {
    ALL("server", "gateway"),
    SERVER("server"),
    GATEWAY("gateway");

    private final List<String> routeFolders;

    RpcRole(String... routeFolders) {
        this.routeFolders = List.of(routeFolders);
    }

    public static RpcRole of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "rpc.role (RPC_ROLE) must be all, server or gateway, was '" + name + "'", e);
        }
    }

    /** The folders of route files this role runs, under the routes' base folder. */
    public List<String> routeFolders() {
        return routeFolders;
    }

    /**
     * Whether this role runs the routes of a route file: those of its folders, and of any file outside the sides'
     * folders (or of no file). Applied to every route however its file was given (the jar, routes.dir, the file
     * list of {@code camel run}).
     */
    public boolean runsRoutesOf(String location) {
        if (location == null) {
            return true;
        }
        String[] path = location.replace('\\', '/').split("/");
        String folder = path.length < 2 ? "" : path[path.length - 2];
        return !ALL.routeFolders.contains(folder) || routeFolders.contains(folder);
    }

    /**
     * The Camel routes include pattern of this role's route files under a base ({@code classpath:routes} or
     * {@code file:/some/dir}).
     */
    public String routesIncludePattern(String base, String files) {
        return String.join(",", routeFolders.stream().map(folder -> base + "/" + folder + "/" + files).toList());
    }
}
