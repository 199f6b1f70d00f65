package io.fibonaccirpc;

import org.apache.camel.main.Main;

/**
 * Starts the gateway and the server routes; {@link FibonacciRpcConfiguration} holds the wiring. The routes
 * pattern is set here rather than in application.properties, where it would override the file list that
 * {@code camel run} passes.
 */
public final class FibonacciRpcApplication {

    /** The route files of the packaged application. */
    public static final String ROUTES = "classpath:routes/*.camel.yaml";

    private FibonacciRpcApplication() {
    }

    /** The JVM property that sizes the common fork-join pool; see {@link #main}. */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) throws Exception {
        // The InOut producer continues each call with CompletableFuture.whenCompleteAsync, on the common pool. On
        // a machine of 2 cores that pool has a parallelism of 1, and then the JDK starts a new thread for every
        // such task instead: one thread created and destroyed per call. At least 2 keeps the pool in use. Set
        // before anything touches CompletableFuture; -D on the command line still wins.
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM,
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
        newMain().run(args);
    }

    /** The Camel main of the packaged application, not yet started. */
    public static Main newMain() {
        Main main = new Main(FibonacciRpcApplication.class);
        main.configure().withRoutesIncludePattern(ROUTES);
        return main;
    }
}
