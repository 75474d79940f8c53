package lbd.director.warmup;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether the JIT is compiling the connection path, as {@code jcmd PID Compiler.queue} tells it (the HotSpot
 * diagnostic command behind it, through the platform's MBean server): a method of lbd, Netty or HdrHistogram being
 * compiled or waiting in the C1 or C2 queue. The warm-up goes on while it is: compilation is what it waits for, and
 * on a busy machine the compile queue lags far behind the calls that filled it. The JDK's own methods are left out:
 * the warm-up's clients and real server (blocking JDK sockets, no part of the path) keep some of them compiling.
 */
final class JitActivity {

    private static final String[] NO_ARGUMENTS = new String[0];
    private static final String[] SIGNATURE = {String[].class.getName()};

    private final MBeanServer server;
    private final ObjectName commands;

    private JitActivity(MBeanServer server, ObjectName commands) {
        this.server = server;
        this.commands = commands;
    }

    /** The running JVM's, or null when it has no such command (not HotSpot): then only the warm-up's bounds apply. */
    static JitActivity ofThisJvm() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName commands = new ObjectName("com.sun.management:type=DiagnosticCommand");
            return server.isRegistered(commands) ? new JitActivity(server, commands) : null;
        } catch (JMException | RuntimeException e) {
            return null;
        }
    }

    private static final String[] PATH = {" lbd.", " io.netty.", " org.HdrHistogram."};

    /** No method of the path is being compiled or waits to be (also true when the command cannot be run). */
    boolean idle() {
        try {
            return idle((String) server.invoke(commands, "compilerQueue", new Object[] {NO_ARGUMENTS}, SIGNATURE));
        } catch (JMException | RuntimeException e) {
            return true;
        }
    }

    /**
     * Reads Compiler.queue's text: a "Current compiles:" section with one line per compiler thread at work, then
     * "C1 compile queue:" and "C2 compile queue:", each "Empty" or one line per waiting method; each such line
     * names the method with its class's full name. Idle when no line names one of the path's.
     */
    static boolean idle(String queue) {
        for (String line : queue.split("\n")) {
            for (String prefix : PATH) {
                if (line.contains(prefix)) {
                    return false;
                }
            }
        }
        return true;
    }
}
