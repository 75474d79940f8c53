package lbd.director.upgrade;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.Shell;
import lbd.testing.ProcNetTcp;
import lbd.director.nat.Nginx;

/**
 * What the upgrade tests run: an "installed" lbd in a directory of its own — {@code HOME/bin/lbd}, a launcher as the
 * package's (it runs the build's classes; with the file {@code HOME/broken} it prints a line and exits 3, as a
 * binary that does not start) — two nginx real servers on loopback with long keep-alive, and lbd started through
 * that launcher, so that {@code lbd upgrade} finds it as it finds the package's. Every process is stopped on
 * close, also the new lbd an upgrade started (not this JVM's child).
 */
final class UpgradeLab implements AutoCloseable {

    final Path dir;
    final Path home;
    final Path launcher;
    final Path config;
    final Path socket;
    final Path pidFile;
    final Path log;
    final int vipPort;
    final int[] realPorts;
    /** A loopback port where nothing listens (a real server that is down). */
    final int deadPort;
    private final Nginx nginx;
    private final List<Long> lbdPids = new ArrayList<>();
    private Process lbd;

    private UpgradeLab(Path dir, Nginx nginx, int vipPort, int[] realPorts, int deadPort) {
        this.deadPort = deadPort;
        this.dir = dir;
        this.home = dir.resolve("home");
        this.launcher = home.resolve("bin/lbd");
        this.config = dir.resolve("ldirectord.cf");
        this.socket = dir.resolve("lbd.sock");
        this.pidFile = dir.resolve("lbd.pid");
        this.log = dir.resolve("lbd.log");
        this.nginx = nginx;
        this.vipPort = vipPort;
        this.realPorts = realPorts;
    }

    /** nginx and the launcher; lbd itself starts with {@link #startLbd}. */
    static UpgradeLab create(Path dir) throws IOException, InterruptedException {
        int[] ports = freePorts(4);
        int[] real = {ports[1], ports[2]};
        StringBuilder servers = new StringBuilder();
        for (int port : real) {
            // One connection serves a whole load run: an L4 hand-over is about connections that outlive it.
            servers.append("server { listen 127.0.0.1:").append(port)
                    .append("; keepalive_requests 10000000; keepalive_timeout 300s;")
                    .append(" location / { return 200 \"").append(port).append("\\n\"; } }\n");
        }
        Nginx nginx = Nginx.start(dir.resolve("nginx"), null, servers.toString());
        UpgradeLab lab = new UpgradeLab(dir, nginx, ports[0], real, ports[3]);
        try {
            lab.writeLauncher();
            return lab;
        } catch (IOException | RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    /** The configuration: one masq VIP on loopback over both nginx, rr, connect checks; {@code extra} globals. */
    String configText(String extraGlobals) {
        return configText(extraGlobals, -1);
    }

    /** As above, with a third real server on {@code deadPort} (where nothing listens) unless it is -1. */
    String configText(String extraGlobals, int deadPort) {
        return extraGlobals + "checkinterval=1\nchecktimeout=2\n"
                + "virtual=127.0.0.1:" + vipPort + "\n"
                + "        real=127.0.0.1:" + realPorts[0] + " masq\n"
                + "        real=127.0.0.1:" + realPorts[1] + " masq\n"
                + (deadPort > 0 ? "        real=127.0.0.1:" + deadPort + " masq\n" : "")
                + "        scheduler=rr\n        protocol=tcp\n        checktype=connect\n";
    }

    private void writeLauncher() throws IOException {
        writeLauncher(home, "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    }

    /**
     * Writes {@code HOME/bin/lbd}, a launcher as the package's that runs this build's classes with {@code jvmOptions}
     * (with the file {@code HOME/broken}, it prints a line and exits 3, as a binary that does not start; with the
     * file {@code HOME/main}, it runs the class named there instead of lbd's); returns its path.
     */
    static Path writeLauncher(Path home, String jvmOptions) throws IOException {
        Path launcher = home.resolve("bin/lbd");
        Files.createDirectories(launcher.getParent());
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(launcher, """
                #!/bin/sh
                if [ -f '%1$s/broken' ]; then echo "lbd: this lbd binary is broken (test)" >&2; exit 3; fi
                main=lbd.director.cli.LbdMain
                if [ -f '%1$s/main' ]; then main=$(cat '%1$s/main'); fi
                exec '%2$s' --enable-native-access=ALL-UNNAMED %4$s \\
                    -Dlbd.home='%1$s' -cp '%3$s' "$main" "$@"
                """.formatted(home, java, classPath, jvmOptions), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return launcher;
    }

    /** Starts lbd through the launcher and waits until it serves (its pid file); {@code env} added to its own. */
    long startLbd(String configText, Map<String, String> env) throws IOException, InterruptedException {
        Files.writeString(config, configText);
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "--config", config.toString(),
                "--socket", socket.toString(), "--pid-file", pidFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(env);
        lbd = builder.start();
        lbdPids.add(lbd.pid());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (servingPid().orElse(-1) != lbd.pid()) {
            if (!lbd.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IOException("lbd did not start: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return lbd.pid();
    }

    /** The pid in the pid file: the lbd that serves (each writes it once it does). */
    OptionalLong servingPid() throws IOException {
        if (!Files.exists(pidFile)) {
            return OptionalLong.empty();
        }
        String text = Files.readString(pidFile).strip();
        return text.matches("[0-9]+") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
    }

    /**
     * Runs {@code lbd upgrade --socket S [args]} (on this JVM's java, not the launcher, which a test may have
     * broken); its exit status and output.
     */
    Result upgrade(String... args) throws IOException, InterruptedException {
        return upgrade(socket, dir.resolve("upgrade.out"), args);
    }

    /** {@code lbd upgrade --socket SOCKET [args]}, its output kept in {@code out}. */
    static Result upgrade(Path socket, Path out, String... args) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "lbd.director.cli.LbdMain", "upgrade", "--socket", socket.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("lbd upgrade did not return within 120 s");
        }
        return new Result(p.exitValue(), Files.readString(out));
    }

    record Result(int status, String output) {
    }

    /** What lbd (both, through the same output) wrote so far. */
    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Waits up to {@code wait} for process {@code pid} to end; whether it did. */
    static boolean awaitExit(long pid, Duration wait) {
        return ProcessHandle.of(pid).map(p -> {
            try {
                p.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (Exception e) {
                return !p.isAlive();
            }
        }).orElse(true);
    }

    /**
     * How many descriptors process {@code pid} has open on the VIP's listening sockets (one per event loop): a
     * failed hand-over must leave no copy behind.
     */
    int descriptorsOnVip(long pid) throws IOException {
        Map<String, ProcNetTcp.TcpSocket> tcp = ProcNetTcp.sockets(pid);
        int count = 0;
        for (String link : ProcNetTcp.descriptorLinks(pid)) {
            ProcNetTcp.TcpSocket socket = tcp.get(link);
            if (socket != null && socket.localPort() == vipPort && socket.state().equals("LISTEN")) {
                count++;
            }
        }
        return count;
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** One HTTP/1.0 GET through the VIP with curl; its body. */
    String get() throws IOException, InterruptedException {
        Process curl = new ProcessBuilder("curl", "-s", "--max-time", "5", "http://127.0.0.1:" + vipPort + "/")
                .redirectErrorStream(true).start();
        String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return body.strip();
    }

    static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    /** Every lbd of this lab still running: the one started here and any an upgrade started (by its command line). */
    List<ProcessHandle> lbds() {
        List<ProcessHandle> found = new ArrayList<>(Shell.processesWithArgument(config.toString()));
        for (long pid : lbdPids) {
            ProcessHandle.of(pid).filter(p -> found.stream().noneMatch(f -> f.pid() == pid)).ifPresent(found::add);
        }
        return found;
    }

    @Override
    public void close() {
        for (ProcessHandle p : lbds()) {
            p.destroy();
            try {
                p.onExit().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        nginx.close();
    }
}
