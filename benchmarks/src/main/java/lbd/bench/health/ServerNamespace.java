package lbd.bench.health;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The benchmark's real servers in a network namespace of their own, reached over a veth pair, so that the
 * server half of every handshake is not done inside the prober's connect(). The namespace's receive processing
 * is steered (RPS) to CPU 1 and the server process pinned there; the caller pins the prober to CPU 0. What the
 * kernel charges the prober is then about what a remote real server would cost it: its own SYN, ACK, RST and
 * the SYN-ACK's receive.
 *
 * <p>Addresses come from 198.18.0.0/15 only (198.19.2xx.0/30, chosen from the pid). Everything is torn down on
 * {@link #close}, which also runs from a shutdown hook.
 */
final class ServerNamespace implements AutoCloseable {

    final String serverAddress;
    final List<Integer> ports = new ArrayList<>();
    final Process server;
    private final String name;
    private final String hostVeth;
    private final BufferedReader fromServer;
    private final PrintWriter toServer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ServerNamespace(long pid, int listeners, boolean http) throws IOException, InterruptedException {
        int tag = (int) (pid % 50);
        name = "lbdbench" + pid;
        hostVeth = "lbdbh" + pid % 100_000;
        String nsVeth = "lbdbn" + pid % 100_000;
        String hostAddress = "198.19." + (200 + tag) + ".1";
        serverAddress = "198.19." + (200 + tag) + ".2";
        Thread hook = Thread.ofPlatform().unstarted(this::close);
        Runtime.getRuntime().addShutdownHook(hook);
        Process started = null;
        try {
            run("ip", "netns", "add", name);
            run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", nsVeth);
            run("ip", "link", "set", nsVeth, "netns", name);
            run("ip", "addr", "add", hostAddress + "/30", "dev", hostVeth);
            run("ip", "link", "set", hostVeth, "up");
            run("ip", "-n", name, "link", "set", "lo", "up");
            run("ip", "-n", name, "addr", "add", serverAddress + "/30", "dev", nsVeth);
            run("ip", "-n", name, "link", "set", nsVeth, "up");
            // RPS: the server side's receive work on CPU 1 (mask 2); the prober side's on CPU 0 (mask 1).
            run("ip", "netns", "exec", name, "sh", "-c", "echo 2 > /sys/class/net/" + nsVeth + "/queues/rx-0/rps_cpus");
            Files.writeString(Path.of("/sys/class/net/" + hostVeth + "/queues/rx-0/rps_cpus"), "1");

            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name, "taskset", "-c", "1", java,
                    "-cp", System.getProperty("java.class.path"), HealthCheckCost.class.getName(), "--serve",
                    serverAddress, Integer.toString(listeners)));
            if (http) {
                command.add("--http");
            }
            started = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            server = started;
            fromServer = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            toServer = new PrintWriter(server.getOutputStream(), true, StandardCharsets.UTF_8);
            String ready = fromServer.readLine();
            if (ready == null || !ready.startsWith("ports ")) {
                throw new IOException("the server process in namespace " + name + " did not start: " + ready);
            }
            Arrays.stream(ready.substring(6).split(",")).map(Integer::parseInt).forEach(ports::add);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (started != null) {
                started.destroyForcibly();
            }
            teardown();
            throw e;
        }
    }

    static ServerNamespace create(int listeners, boolean http) throws IOException, InterruptedException {
        return new ServerNamespace(ProcessHandle.current().pid(), listeners, http);
    }

    /** How many connections the server process has accepted so far. */
    long accepted() throws IOException {
        toServer.println("count");
        String line = fromServer.readLine();
        if (line == null) {
            throw new IOException("the server process in namespace " + name + " ended");
        }
        return Long.parseLong(line.trim());
    }

    /** User + system CPU of the server process. */
    long serverCpuNanos() throws IOException {
        long[] t = ProcStat.userSys(Long.toString(server.pid()));
        return t[0] + t[1];
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (server != null) {
            server.destroy();
            try {
                if (!server.waitFor(2, TimeUnit.SECONDS)) {
                    server.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        teardown();
    }

    private void teardown() {
        // Deleting the namespace deletes its veth end, and with it the host's end.
        quietly("ip", "netns", "del", name);
        quietly("ip", "link", "del", hostVeth);
    }

    private static void quietly(String... command) {
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException ignored) {
            // best effort on the way out
        }
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** The server process's main: listeners on {@code address}, then answers "count" lines until stdin ends. */
    static void serve(String address, int listeners, boolean http) throws Exception {
        try (Acceptor acceptor = new Acceptor(address, listeners, http)) {
            Thread thread = Thread.ofPlatform().name("bench-acceptor").start(acceptor);
            System.out.println("ports " + String.join(",", acceptor.ports.stream().map(String::valueOf).toList()));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                System.out.println(acceptor.accepted.get());
                System.out.flush();
            }
            acceptor.close();
            thread.join(2_000);
        }
    }
}
