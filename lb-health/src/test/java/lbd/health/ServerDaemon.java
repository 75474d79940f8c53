package lbd.health;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real server from a Debian package, run in the foreground by a test class for its probes: started once, ready
 * when its ports accept connections, its output kept in a log file quoted when it fails to start, and stopped
 * (TERM, then KILL) when the class ends. On a developer machine without the package or root the test skips; CI
 * (.ci/run) installs the packages and runs as root.
 */
final class ServerDaemon implements AutoCloseable {

    static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Process process;
    private final Path log;
    private final List<AutoCloseable> cleanups = new ArrayList<>();

    private ServerDaemon(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Skips the calling test class unless {@code binary} exists and we are root (the daemons drop privileges). */
    static void assumeInstalled(String binary, String debianPackage) {
        assumeTrue(Files.exists(Path.of(binary)), binary + " is absent: apt-get install " + debianPackage
                + " (CI installs it) to run this test");
        assumeTrue("root".equals(System.getProperty("user.name")), debianPackage
                + " tests start the daemon as root (it drops privileges itself); run as root, as CI does");
    }

    /** Starts {@code command} with its output in {@code dir}/NAME.log and waits until every port accepts. */
    static ServerDaemon start(String name, Path dir, List<String> command, InetSocketAddress... ready)
            throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerDaemon daemon = new ServerDaemon(name, process, log);
        try {
            daemon.awaitPorts(ready);
        } catch (IOException | RuntimeException | InterruptedException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /**
     * Starts {@code command} with its output in {@code dir}/NAME.log and waits until the log holds {@code readyLine}
     * (for a daemon whose ports are UDP only, where no connection tells that it listens).
     */
    static ServerDaemon startUntilLogged(String name, Path dir, List<String> command, String readyLine)
            throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServerDaemon daemon = new ServerDaemon(name, process, log);
        try {
            daemon.awaitLogLine(readyLine);
        } catch (IOException | RuntimeException | InterruptedException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    private void awaitLogLine(String readyLine) throws IOException, InterruptedException {
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.readString(log).contains(readyLine)) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + " before it logged \""
                        + readyLine + "\": " + logTail());
            }
            if (System.nanoTime() - end > 0) {
                throw new IOException(name + " did not log \"" + readyLine + "\" within " + START_TIMEOUT + ": "
                        + logTail());
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until a socket is bound to UDP {@code port} (IPv4, as /proc/net/udp lists it): a UDP daemon's readiness
     * when no connection or log line tells it. A datagram sent after that is queued for the daemon.
     */
    void awaitUdpBound(int port) throws IOException, InterruptedException {
        String local = String.format(":%04X ", port);
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        while (Files.readAllLines(Path.of("/proc/net/udp")).stream()
                .noneMatch(line -> line.trim().split("\\s+")[1].concat(" ").endsWith(local))) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + " before it bound UDP "
                        + port + ": " + logTail());
            }
            if (System.nanoTime() - end > 0) {
                throw new IOException(name + " did not bind UDP " + port + " within " + START_TIMEOUT + ": "
                        + logTail());
            }
            Thread.sleep(50);
        }
    }

    /** Also runs {@code cleanup} when this daemon is closed (after it stopped). */
    ServerDaemon alsoOnClose(AutoCloseable cleanup) {
        cleanups.add(cleanup);
        return this;
    }

    private void awaitPorts(InetSocketAddress... ports) throws IOException, InterruptedException {
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        for (InetSocketAddress port : ports) {
            while (!accepts(port)) {
                if (!process.isAlive()) {
                    throw new IOException(name + " exited with status " + process.exitValue() + " before "
                            + port + " accepted: " + logTail());
                }
                if (System.nanoTime() - end > 0) {
                    throw new IOException(name + " did not accept on " + port + " within " + START_TIMEOUT
                            + ": " + logTail());
                }
                Thread.sleep(50);
            }
        }
    }

    private static boolean accepts(InetSocketAddress port) {
        try (Socket s = new Socket()) {
            s.connect(port, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String logTail() {
        try {
            String text = Files.readString(log);
            return text.length() <= 2000 ? text : "..." + text.substring(text.length() - 2000);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        for (AutoCloseable cleanup : cleanups) {
            try {
                cleanup.close();
            } catch (Exception e) {
                // best effort: the temporary directory goes anyway
            }
        }
    }

    /** A loopback port nothing listens on right now (for the daemon to take, or for a dead server). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** A loopback UDP port nothing is bound to right now (for a UDP daemon to take, or for a dead server). */
    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        }
    }

    /** Runs a setup command (initdb, openssl, ...) to completion within {@code timeout}, failing with its output. */
    static void run(Path dir, Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "setup", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within " + timeout + ": "
                    + Files.readString(out));
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                    + Files.readString(out));
        }
    }

    /** A self-signed certificate and key in PEM, for the TLS variants (openssl, which every Debian has). */
    static void selfSignedPem(Path dir, Path cert, Path key) throws IOException, InterruptedException {
        run(dir, Duration.ofSeconds(30), List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", key.toString(), "-out", cert.toString()));
    }
}
