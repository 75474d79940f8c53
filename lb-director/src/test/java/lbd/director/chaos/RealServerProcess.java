package lbd.director.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link ChaosRealServer} process: started, killed, stopped and continued, and told to misbehave. */
final class RealServerProcess implements AutoCloseable {

    final int port;
    final String name;
    private final String classPath;
    private final int fdLimit;
    private Process process;
    private BufferedReader out;
    private OutputStream in;

    final String address;
    private final String netns;

    /** A server on the loopback address. */
    RealServerProcess(int port, String name, String classPath, int fdLimit) {
        this(port, name, classPath, fdLimit, "127.0.0.1", null);
    }

    /** A server on {@code address} in the network namespace {@code netns} (null: this one). */
    RealServerProcess(int port, String name, String classPath, int fdLimit, String address, String netns) {
        this.port = port;
        this.name = name;
        this.classPath = classPath;
        this.fdLimit = fdLimit;
        this.address = address;
        this.netns = netns;
    }

    /** Starts the server (again) and returns once it listens. */
    RealServerProcess start() throws IOException {
        List<String> command = new ArrayList<>();
        if (netns != null) {
            command.addAll(List.of("ip", "netns", "exec", netns));
        }
        command.addAll(List.of("sh", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "server",
                LbdProcess.javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", classPath,
                ChaosRealServer.class.getName(), Integer.toString(port), name, address));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        in = process.getOutputStream();
        String first = out.readLine();
        if (!"ready".equals(first)) {
            throw new IOException("real server " + name + " did not start: " + first);
        }
        return this;
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, and waits until the process is gone (its sockets closed by the kernel). */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("real server " + name + " survived SIGKILL for 30 s");
        }
    }

    /** SIGSTOP: the kernel still completes handshakes into its queue; nothing reads or answers. */
    void stop() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #stop}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    /** Sends one command line and returns the server's one-line answer. */
    String command(String line) throws IOException {
        in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        in.flush();
        return out.readLine();
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + pid() + " failed");
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
        }
    }
}
