package io.fibonaccirpc.bench;

import com.sun.tools.attach.VirtualMachine;

/**
 * Gives a running JVM a command of async-profiler, as its own {@code asprof} would: loads the agent library into
 * the process with the command as the agent's options ({@code start,event=wall,...}, then {@code stop,file=...}).
 * scripts/profile-gateway starts and stops the profile of its measured window with it.
 * <p>
 * Usage: {@code java -cp <test classes> io.fibonaccirpc.bench.ProfilerAttach <pid> <libasyncProfiler.so> <command>}
 */
public final class ProfilerAttach {

    private ProfilerAttach() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ProfilerAttach <pid> <path of libasyncProfiler.so> <command>");
            System.exit(2);
        }
        VirtualMachine jvm = VirtualMachine.attach(args[0]);
        try {
            jvm.loadAgentPath(args[1], args[2]);
        } finally {
            jvm.detach();
        }
    }
}
