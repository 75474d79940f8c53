package lbd.director.chaos;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import lbd.director.ProcCpu;
import lbd.director.TestHttp;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlRequest;
import lbd.testing.ProcNetTcp;

/**
 * lbd as its own process, as the tests that count its descriptors, threads and memory run it: started through
 * {@code sh -c "ulimit -n LIMIT && exec java ..."} so that it has a descriptor limit of its own, with its output
 * in a log file and its control socket in the test's directory. What /proc says about it is read here too.
 */
final class LbdProcess implements AutoCloseable {

    final Process process;
    final Path log;
    final Path socket;

    private LbdProcess(Process process, Path log, Path socket) {
        this.process = process;
        this.log = log;
        this.socket = socket;
    }

    /**
     * Starts lbd on {@code config} (written to DIR/ldirectord.cf) under {@code ulimit -n fdLimit}, with the JVM
     * options given (before lbd's class path).
     */
    static LbdProcess start(Path dir, String config, int fdLimit, String... jvmOptions) throws IOException {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, config);
        Path log = dir.resolve("lbd.log");
        Path socket = dir.resolve("lbd.sock");
        String cp = asJars(dir, System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        List<String> command = new ArrayList<>(List.of("sh", "-c",
                "ulimit -n " + fdLimit + " && exec \"$@\"", "lbd", javaBinary(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", cp, "lbd.director.cli.LbdMain", "--config", file.toString(),
                "--socket", socket.toString(), "--warmup=no"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return new LbdProcess(process, log, socket);
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    long pid() {
        return process.pid();
    }

    /** Everything lbd has written so far. */
    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** What lbd has written since {@code offset} characters (a previous {@code log().length()}). */
    String logSince(int offset) throws IOException {
        String all = log();
        return all.substring(Math.min(offset, all.length()));
    }

    int openFds() throws IOException {
        return openFds(pid());
    }

    /**
     * What each open descriptor refers to (the link in /proc/PID/fd), a TCP socket as its endpoints and state from
     * the process's /proc/PID/net/tcp and tcp6 (e.g. {@code socket:[123] tcp 127.0.0.1:80 -> 127.0.0.1:5000
     * CLOSE_WAIT}): for saying which descriptors a scenario left behind.
     */
    List<String> describeFds() throws IOException {
        Map<String, ProcNetTcp.TcpSocket> tcp = ProcNetTcp.sockets(pid());
        List<String> described = new ArrayList<>();
        for (String link : ProcNetTcp.descriptorLinks(pid())) {
            described.add(tcp.containsKey(link) ? link + " " + tcp.get(link) : link);
        }
        described.sort(null);
        return described;
    }

    /**
     * Waits until lbd serves: the VIP on {@code vipPort} answers with a real server's page, and the control socket
     * answers a ping. lbd opens its control socket just after its listeners, so a VIP that answers does not yet
     * mean the socket is there.
     */
    void awaitServing(int vipPort, Duration bound) {
        org.awaitility.Awaitility.await().atMost(bound).until(() -> TestHttp.get(vipPort).startsWith("This is RS"));
        org.awaitility.Awaitility.await().atMost(bound).ignoreException(ControlClient.NotRunning.class)
                .until(() -> ControlClient.send(socket, new ControlRequest.Ping()).ok());
    }

    /**
     * Makes the JDK's virtual-thread I/O pollers start in lbd, and waits (up to {@code bound}) until they run, so
     * that a count of its descriptors and threads taken after this includes them. The JDK starts them when a virtual
     * thread first waits on a socket, and they stay: a thread named MasterPoller (JDK 25) and four epoll
     * descriptors. Seen: a scenario's "before" taken ahead of them and its "after" with them, four descriptors
     * more, reported as a leak. Health checks no longer start them (they run on lbd's own epoll loop), so this
     * makes one wait: a control-socket client that connects and sends its line only once the pollers are up —
     * lbd's virtual thread serving it waits for that line on the socket meanwhile.
     */
    void awaitIoPollers(Duration bound) throws IOException {
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(socket));
            org.awaitility.Awaitility.await().atMost(bound).until(() -> threadNames().contains("MasterPoller"));
            String ping = new ControlRequest.Ping().toLine() + "\n";
            client.write(ByteBuffer.wrap(ping.getBytes(StandardCharsets.US_ASCII)));
            client.shutdownOutput();
            ByteBuffer reply = ByteBuffer.allocate(1024);
            while (client.read(reply.clear()) >= 0) {
                // the reply to ping; only its end matters
            }
        }
    }

    /** The names of the process's threads (/proc/PID/task/TID/comm), sorted. */
    List<String> threadNames() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    names.add(Files.readString(task.resolve("comm")).strip());
                } catch (java.nio.file.NoSuchFileException ended) {
                    // the thread ended while the directory was listed
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Resident memory in KiB (VmRSS of /proc/PID/status). */
    long rssKiB() throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow();
    }

    /** utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/PID/stat, after the command). */
    long cpuTicks() throws IOException {
        return cpuTicks(pid());
    }

    static long cpuTicks(long pid) throws IOException {
        return ProcCpu.processTicks(pid);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    static int openFds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }

    /** Loop 0's value of the counter {@code name}, from lbd's Prometheus endpoint; -1 when absent. */
    static long loopCounter(int metricsPort, String name) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        String prefix = name + "{loop=\"0\"} ";
        return response.body().lines().filter(l -> l.startsWith(prefix))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(-1);
    }

    /**
     * The class path with each directory (the modules' target/classes) packed into a jar in {@code dir}, as lbd
     * runs in production (one jar, opened once): from a directory every class loaded for the first time opens a
     * file, which at the descriptor limit fails — a class-loading failure no installed lbd can have.
     */
    static String asJars(Path dir, String classPath) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : classPath.split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                entries.add(entry);
                continue;
            }
            Path jar = dir.resolve("classes-" + n++ + ".jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(path)) {
                for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    out.putNextEntry(new JarEntry(path.relativize(file).toString().replace(File.separatorChar, '/')));
                    Files.copy(file, out);
                    out.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
