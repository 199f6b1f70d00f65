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

    public static void main(String[] args) throws Exception {
        newMain().run(args);
    }

    /** The Camel main of the packaged application, not yet started. */
    public static Main newMain() {
        Main main = new Main(FibonacciRpcApplication.class);
        main.configure().withRoutesIncludePattern(ROUTES);
        return main;
    }
}
