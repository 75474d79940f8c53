package lbd.director.chaos;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import lbd.director.control.ControlClient;
import lbd.director.control.ControlReply;
import lbd.director.control.ControlRequest;

/**
 * The soak (not CI; benchmarks/soak.sh runs it as a plain program, outside the test runner, for as long as it is
 * told): lbd and three real servers as in {@link ChaosUnderLoadTest}, a load through the VIP, and a fault every
 * few seconds, chosen at random with a fixed seed: kill -9 and restart, stop and continue, hang and release,
 * slow answers, 20 reloads, lbadm edits, 200 slowloris clients, 2,000 idle connections. Every 30 s it writes
 * requests, failures (and those not in flight at any fault), lbd's descriptors, threads and RSS to the report;
 * at the end it checks what the chaos suite checks once per scenario, and exits 1 if any of it failed.
 *
 * <p>Usage: {@code ChaosSoak MINUTES SECONDS_BETWEEN_FAULTS REPORT [SEED]}
 */
public final class ChaosSoak {

    private static final int LOAD_THREADS = 3;

    private ChaosSoak() {
    }

    public static void main(String[] args) throws Exception {
        long minutes = Long.parseLong(args[0]);
        long everyMillis = TimeUnit.SECONDS.toMillis(Long.parseLong(args[1]));
        Path reportFile = Path.of(args[2]);
        Random random = new Random(args.length > 3 ? Long.parseLong(args[3]) : 20);
        Path dir = Files.createTempDirectory("lbd-soak");
        try {
            soak(minutes, everyMillis, reportFile, random, dir);
        } catch (AssertionError | Exception e) {
            System.err.println("soak: FAILED: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    private static void soak(long minutes, long everyMillis, Path reportFile, Random random, Path dir)
            throws Exception {
        PrintStream file = new PrintStream(Files.newOutputStream(reportFile), true, StandardCharsets.UTF_8);
        // The report goes to the file and, as it is written, to standard output.
        PrintStream report = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                file.write(b);
                System.out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                file.write(b, off, len);
                System.out.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8);
        String cp = System.getProperty("java.class.path");
        List<RealServerProcess> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(new RealServerProcess(freePort(), "RS" + (i + 1), cp, 16_384).start());
        }
        int vipPort = freePort();
        StringBuilder reals = new StringBuilder();
        for (RealServerProcess s : servers) {
            reals.append("\treal=127.0.0.1:").append(s.port).append(" masq\n");
        }
        String config = """
                checktimeout=3
                checkinterval=1
                quiescent=no
                virtual=127.0.0.1:%d
                %s\tservice=http
                \trequest="index.html"
                \treceive="This is"
                \tscheduler=wrr
                \tprotocol=tcp
                \tchecktype=negotiate
                """.formatted(vipPort, reals);
        try (LbdProcess lbd = LbdProcess.start(dir, config, 16_384, "-XX:+UseZGC", "-XX:+UseCompactObjectHeaders",
                "-Xss512k", "-Xmx256m", "-XX:MaxDirectMemorySize=256m", "-XX:+ExitOnOutOfMemoryError")) {
            lbd.awaitServing(vipPort, Duration.ofSeconds(60));
            assertThat(ControlClient.send(lbd.socket, new ControlRequest.Reload()).ok()).isTrue();
            lbd.awaitIoPollers(Duration.ofSeconds(30));
            int fdsAtStart = lbd.openFds();
            int threadsAtStart = lbd.threadNames().size();
            report.println("elapsed_s\trequests\tfailed\tfailed_not_at_a_fault\tfaults\tlbd_fds\tlbd_threads"
                    + "\tlbd_rss_mib\tlast_fault");
            List<LoadClient.Fault> faults = new ArrayList<>();
            long started = System.nanoTime();
            long deadline = started + TimeUnit.MINUTES.toNanos(minutes);
            long nextReport = started;
            String last = "-";
            try (LoadClient load = new LoadClient(vipPort, LOAD_THREADS, 2)) {
                while (System.nanoTime() < deadline) {
                    if (System.nanoTime() >= nextReport) {
                        report.println(line(started, load, faults, lbd, last));
                        nextReport += TimeUnit.SECONDS.toNanos(30);
                    }
                    Thread.sleep(everyMillis); // the pace of the faults, not a synchronisation
                    RealServerProcess victim = servers.get(random.nextInt(servers.size()));
                    long begin = load.now();
                    last = fault(random.nextInt(8), victim, lbd, vipPort, dir.resolve("ldirectord.cf"), config);
                    faults.add(new LoadClient.Fault(last, begin, load.now()));
                }
                List<LoadClient.Request> requests = load.stop();
                report.println(line(started, load, faults, lbd, "end"));
                List<LoadClient.Request> unattributed = requests.stream()
                        .filter(r -> r.failure() != null && faults.stream().noneMatch(r::overlaps)).toList();
                assertThat(unattributed).as("failures not in flight at any fault").isEmpty();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> lbd.openFds() <= fdsAtStart);
            await().atMost(Duration.ofSeconds(30)).until(() -> lbd.threadNames().size() <= threadsAtStart);
            String log = lbd.log();
            assertThat(log).doesNotContain("Exception").doesNotContain("\tat ");
            report.printf("# lbd's log: %d lines; fds %d at start, %d at the end; threads %d, %d%n",
                    log.lines().count(), fdsAtStart, lbd.openFds(), threadsAtStart, lbd.threadNames().size());
        } finally {
            servers.forEach(RealServerProcess::close);
            report.close();
            file.close();
        }
    }

    /** Injects one fault and takes it back; returns what it was. */
    private static String fault(int kind, RealServerProcess victim, LbdProcess lbd, int vipPort, Path file,
                                String config) throws Exception {
        switch (kind) {
            case 0 -> {
                victim.kill9();
                victim.start();
                return "kill -9 " + victim.name;
            }
            case 1 -> {
                victim.stop();
                Thread.sleep(5_000); // the fault's length
                victim.resume();
                return "kill -STOP/-CONT " + victim.name;
            }
            case 2 -> {
                victim.command("hang");
                Thread.sleep(5_000);
                victim.command("release");
                return "hang " + victim.name;
            }
            case 3 -> {
                victim.command("slow 300");
                Thread.sleep(5_000);
                victim.command("slow 0");
                return "slow " + victim.name;
            }
            case 4 -> {
                for (int i = 0; i < 20; i++) {
                    Files.writeString(file, i % 2 == 0 ? config.replace(" masq\n", " masq 2\n") : config);
                    assertThat(ControlClient.send(lbd.socket, new ControlRequest.Reload()).ok()).isTrue();
                }
                return "20 reloads";
            }
            case 5 -> {
                String vip = "127.0.0.1:" + vipPort;
                String real = "127.0.0.1:" + victim.port;
                for (String request : new String[] {"set-weight tcp " + vip + " " + real + " 3",
                    "delete-server tcp " + vip + " " + real, "add-server tcp " + vip + " " + real + " masq 1"}) {
                    ControlReply reply = ControlClient.send(lbd.socket, request);
                    assertThat(reply.ok()).as("%s: %s", request, reply.message()).isTrue();
                }
                return "lbadm edits " + victim.name;
            }
            case 6 -> {
                hold(vipPort, 200, "GET / HTTP/1.1\r\nHost: vip\r\nX-Slow: ");
                return "200 slowloris clients";
            }
            default -> {
                hold(vipPort, 2_000, "");
                return "2000 idle connections";
            }
        }
    }

    /** Opens {@code n} connections to the VIP, each sending {@code partial}, holds them 5 s and closes them. */
    private static void hold(int vipPort, int n, String partial) throws IOException, InterruptedException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Socket s = new Socket();
                held.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", vipPort), 5_000);
                s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
            }
            Thread.sleep(5_000);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private static String line(long started, LoadClient load, List<LoadClient.Fault> faults, LbdProcess lbd,
                               String last) throws IOException {
        List<LoadClient.Request> done = load.completed();
        long failed = done.stream().filter(r -> r.failure() != null).count();
        long unattributed = done.stream()
                .filter(r -> r.failure() != null && faults.stream().noneMatch(r::overlaps)).count();
        return String.join("\t", Long.toString(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)),
                Integer.toString(done.size()), Long.toString(failed), Long.toString(unattributed),
                Integer.toString(faults.size()), Integer.toString(lbd.openFds()),
                Integer.toString(lbd.threadNames().size()), Long.toString(lbd.rssKiB() / 1024), last);
    }
}
