package io.fibonaccirpc;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the gateway and the server routes; {@link FibonacciRpcConfiguration} holds the wiring. The routes
 * pattern is set here rather than in application.properties, where it would override the file list that
 * {@code camel run} passes: the route files of the role's folders ({@link RpcRole#routeFolders()}) in the jar, or
 * in the directory {@code routes.dir}.
 */
public final class FibonacciRpcApplication {

    /** The folder of the packaged application's route files, which holds a folder for each side. */
    public static final String ROUTES = "classpath:routes";
    /** The route files of a side's folder. */
    public static final String ROUTE_FILES = "*.camel.yaml";
    /** The route files of both sides in the jar (each process runs those of its role, see RpcRole). */
    public static final String ALL_ROUTES = ROUTES + "/server/" + ROUTE_FILES + "," + ROUTES + "/gateway/" + ROUTE_FILES;
    /** The property naming a directory to load the route files from instead of the jar (ROUTES_DIR). */
    public static final String ROUTES_DIR = "routes.dir";

    private static final Logger LOG = LoggerFactory.getLogger(FibonacciRpcApplication.class);

    private FibonacciRpcApplication() {
    }

    /** The JVM property that sizes the common fork-join pool; see {@link #prepareJvm}. */
    public static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) {
        prepareJvm();
        try {
            int status = newMain().run(args);
            if (status != 0) {
                System.exit(status);
            }
        } catch (Exception | Error failure) {
            // A start that failed leaves the broker client's threads running, which would keep the JVM up with
            // nothing in it running: a supervisor waiting for the process to exit would never start it again.
            LOG.error("fibonacci-rpc did not start: {}", describe(failure));
            System.exit(1);
        }
    }

    /** The failure and its causes in one line: each cause's message, outermost first, repeats left out. */
    static String describe(Throwable failure) {
        StringBuilder line = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            String text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
            if (line.indexOf(text) < 0) {
                line.append(line.length() == 0 ? "" : ": ").append(text);
            }
        }
        return line.toString().replaceAll("\\s+", " ");
    }

    /**
     * What {@link #main} sets in the JVM before Camel starts; for a start in a JVM of its own (a test), which must
     * call it before anything uses the common fork-join pool.
     */
    public static void prepareJvm() {
        // The InOut producer continues each call with CompletableFuture.whenCompleteAsync, on the common pool. On
        // a machine of 2 cores that pool has a parallelism of 1, and then the JDK starts a new thread for every
        // such task instead: one thread created and destroyed per call. At least 2 keeps the pool in use. Set
        // before anything touches CompletableFuture; -D on the command line still wins.
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM,
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
    }

    /** The Camel main of the packaged application, not yet started. */
    public static Main newMain() {
        Main main = new Main(FibonacciRpcApplication.class);
        main.configure().withRoutesIncludePattern(RpcRole.ALL.routesIncludePattern(ROUTES, ROUTE_FILES));
        main.addMainListener(new RoleRoutes());
        return main;
    }

    /**
     * Loads the route files of the role ({@code rpc.role}), from the jar or, when it is set, from the directory
     * {@code routes.dir}. It runs once the properties are read and before Camel main applies them, so
     * camel.main.routes-include-pattern, when given, still wins.
     */
    private static final class RoleRoutes extends MainListenerSupport {

        @Override
        public void beforeConfigure(BaseMainSupport main) {
            PropertiesComponent properties = main.getCamelContext().getPropertiesComponent();
            RpcRole role = RpcRole.of(properties.resolveProperty("rpc.role").orElse("all"));
            String directory = properties.resolveProperty(ROUTES_DIR).map(String::strip).orElse("");
            if (directory.isEmpty()) {
                main.configure().withRoutesIncludePattern(role.routesIncludePattern(ROUTES, ROUTE_FILES));
                return;
            }
            Path path = Path.of(directory).toAbsolutePath().normalize();
            if (!Files.isDirectory(path)) {
                throw new IllegalArgumentException(ROUTES_DIR + " (ROUTES_DIR) names " + path
                        + ", which is not a directory");
            }
            main.configure().withRoutesIncludePattern(role.routesIncludePattern("file:" + path, ROUTE_FILES));
        }
    }
}
