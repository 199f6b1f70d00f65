package io.fibonaccirpc.support;

import io.fibonaccirpc.FibonacciRpcApplication;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Sets up the test JVM as {@code main()} sets up the jar's ({@link FibonacciRpcApplication#prepareJvm}) before any
 * test runs, so that the applications {@link RunningApplication} starts in it run as in production (registered in
 * {@code META-INF/services}; {@link RunningApplication} checks that it took effect).
 */
public final class ProductionJvm implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        FibonacciRpcApplication.prepareJvm();
    }
}
