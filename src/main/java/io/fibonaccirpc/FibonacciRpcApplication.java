package io.fibonaccirpc;

import org.apache.camel.main.Main;

/** Starts the gateway and the server routes; {@link FibonacciRpcConfiguration} holds the wiring. */
public final class FibonacciRpcApplication {

    private FibonacciRpcApplication() {
    }

    public static void main(String[] args) throws Exception {
        new Main(FibonacciRpcApplication.class).run(args);
    }
}
