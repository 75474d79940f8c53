package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import lbd.director.TestHttp;
import lbd.director.cli.LbadmMain;
import lbd.director.listing.TableView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** lbadm end to end against a running director on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbadmLiveTest {

    @TempDir
    Path dir;
    String out;
    String err;

    int lbadm(LiveDirector lbd, String... args) {
        return lbadmWithInput(lbd, "", args);
    }

    int lbadmWithInput(LiveDirector lbd, String input, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--socket", lbd.ops.socket().toString()));
        all.addAll(List.of(args));
        int status = LbadmMain.run(all.toArray(String[]::new),
                new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void listsEditsAndReloadsARunningDirector() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            String vip = "127.0.0.1:" + lbd.vipPort;
            String vm2 = "127.0.0.1:" + lbd.backends.port(0);
            String vm3 = "127.0.0.1:" + lbd.backends.port(1);

            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out.lines().toList()).startsWith("lbd version test",
                    "Prot LocalAddress:Port Scheduler Flags",
                    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
                    "TCP  " + vip + " rr");
            assertThat(out).contains(String.format("  -> %-28s Masq    1      ", vm2))
                    .contains(String.format("  -> %-28s Masq    1      ", vm3));

            // Drain VM3: weight 0, so every new connection goes to VM2.
            assertThat(lbadm(lbd, "-e", "-t", vip, "-r", vm3, "-m", "-w", "0")).isZero();
            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out).contains(String.format("  -> %-28s Masq    0      ", vm3)).contains("weight set by lbadm");
            for (int i = 0; i < 4; i++) {
                assertThat(lbd.get()).isEqualTo("This is VM2");
            }

            assertThat(lbadm(lbd, "-E", "-t", vip, "-s", "wlc")).isZero();
            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out).contains("TCP  " + vip + " wlc");

            // Remove VM2 (configured) and VM3 gets... nothing: its weight is still 0; so give it one back.
            assertThat(lbadm(lbd, "-e", "-t", vip, "-r", vm3, "-w", "1")).isZero();
            assertThat(lbadm(lbd, "-d", "-t", vip, "-r", vm2)).isZero();
            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out).doesNotContain(vm2 + " ");
            for (int i = 0; i < 4; i++) {
                assertThat(lbd.get()).isEqualTo("This is VM3");
            }

            assertThat(lbadm(lbd, "-e", "-t", vip, "-r", "127.0.0.1:1", "-w", "1")).isEqualTo(1);
            assertThat(err).startsWith("lbadm: No such destination");

            // A reload drops the run-time edits: back to the file's rr with both servers, VM2 kept its health.
            assertThat(lbadm(lbd, "--reload")).isZero();
            assertThat(out).startsWith("configuration reloaded from ");
            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out).contains("TCP  " + vip + " rr").doesNotContain("weight set by lbadm");
            assertThat(out).contains(String.format("  -> %-28s Masq    1      ", vm2));

            assertThat(lbadm(lbd, "-Ln", "--stats")).isZero();
            assertThat(out.lines().toList().get(1)).isEqualTo(
                    "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes");
        }
    }

    /**
     * lbadm -Z as ipvsadm's: the listing's counters start again from zero (per service or all), connection states
     * are left alone, and the metrics' counters never go down.
     */
    @Test
    void zeroingCountersResetsTheListingButNotTheMetrics() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            DirectorControl control = new DirectorControl(lbd.director, null);
            for (int i = 0; i < 6; i++) {
                lbd.get();
            }
            long before = connections(control.listing());
            assertThat(before).isGreaterThanOrEqualTo(6);

            control.zero(Optional.empty());
            assertThat(connections(control.listing())).isZero();
            assertThat(connections(control.view())).as("metrics stay monotonic").isEqualTo(before);
            lbd.get();
            assertThat(connections(control.listing())).isEqualTo(1);

            // Through the socket, for one service; an unknown one is refused with ipvsadm's words.
            assertThat(lbadm(lbd, "-Z", "-t", "127.0.0.1:" + lbd.vipPort)).isZero();
            assertThat(lbadm(lbd, "-Ln", "--stats")).isZero();
            assertThat(out).containsPattern("TCP  127.0.0.1:" + lbd.vipPort + " +0 +0 +0 +0 +0");
            assertThat(lbadm(lbd, "-Z", "-t", "127.0.0.1:1")).isEqualTo(1);
            assertThat(err).startsWith("lbadm: Service not defined");
        }
    }

    /** lbadm -S -n: the live table, with lbadm's edits, as the ipvsadm rules that would rebuild it. */
    @Test
    void saveWritesTheLiveTableAsIpvsadmRules() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            String vip = "127.0.0.1:" + lbd.vipPort;
            String vm2 = "127.0.0.1:" + lbd.backends.port(0);
            String vm3 = "127.0.0.1:" + lbd.backends.port(1);
            assertThat(lbadm(lbd, "-e", "-t", vip, "-r", vm3, "-w", "0")).isZero();
            // -e may restate the method (ipvsadm scripts do); another method is refused, not ignored.
            assertThat(lbadm(lbd, "-e", "-t", vip, "-r", vm2, "-g", "-w", "5")).isEqualTo(1);
            assertThat(err).contains("cannot change a real server's forwarding method");

            assertThat(lbadm(lbd, "-S", "-n")).isZero();
            String vm2Rule = "-a -t " + vip + " -r " + vm2 + " -m -w 1";
            String vm3Rule = "-a -t " + vip + " -r " + vm3 + " -m -w 0";
            // ipvsadm sorts real servers by address, then port
            boolean vm2First = lbd.backends.port(0) < lbd.backends.port(1);
            assertThat(out.lines().toList()).containsExactly("-A -t " + vip + " -s rr",
                    vm2First ? vm2Rule : vm3Rule, vm2First ? vm3Rule : vm2Rule);
            assertThat(lbadm(lbd, "-S", "--stats")).isEqualTo(2);
        }
    }

    private static long connections(TableView view) {
        return view.services().stream().flatMap(s -> s.destinations().stream())
                .mapToLong(d -> d.stats().connections()).sum();
    }

    @Test
    void aConfigurationThatDoesNotLoadIsRejectedAndTheRunningOneKept() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            Files.writeString(lbd.file, "virtual=127.0.0.1:notaport\n\treal=nowhere masq\n");

            assertThat(lbadm(lbd, "--reload")).isEqualTo(1);
            assertThat(err).contains("reload rejected").contains("the running configuration is kept");
            assertThat(lbd.get()).startsWith("This is VM");
            assertThat(lbadm(lbd, "-Ln")).isZero();
            assertThat(out).contains("TCP  127.0.0.1:" + lbd.vipPort + " rr");
        }
    }

    @Test
    void anAddedServerIsHealthCheckedAndTheListingSaysWhyItIsHeldOut() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            String vip = "127.0.0.1:" + lbd.vipPort;
            java.net.ServerSocket closed = new java.net.ServerSocket(0);
            int deadPort = closed.getLocalPort();
            closed.close(); // nothing listens there: its check must fail

            assertThat(lbadm(lbd, "-a", "-t", vip, "-r", "127.0.0.1:" + deadPort, "-m")).isZero();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).until(() -> {
                lbadm(lbd, "-Ln");
                return out.contains("  -- 127.0.0.1:" + deadPort + " held out of the table by its health check: ");
            });
            assertThat(lbadm(lbd, "-a", "-t", vip, "-r", "127.0.0.1:" + deadPort, "-m")).isEqualTo(1);
            assertThat(err).startsWith("lbadm: Destination already exists");
            for (int i = 0; i < 4; i++) {
                assertThat(lbd.get()).startsWith("This is VM");
            }
        }
    }

    /**
     * lbadm -Lnc as ipvsadm -Lnc: an open proxied connection (ESTABLISHED, the idle timeout left) and the
     * persistence template its client network made (NONE, port 0, the persistence timeout left); a connection
     * that ended leaves the table, its template stays.
     */
    @Test
    void listsOpenConnectionsAndPersistenceTemplatesAsIpvsadmLnc() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false, "\tpersistent=300\n")) {
            String vip = "127.0.0.1:" + lbd.vipPort;
            String served = lbd.get("127.0.0.7");
            assertThat(served).startsWith("This is VM");
            String rip = "127.0.0.1:" + lbd.backends.port(served.endsWith("VM2") ? 0 : 1);
            String source;
            try (Socket held = new Socket()) {
                held.bind(new InetSocketAddress("127.0.0.7", 0));
                held.connect(new InetSocketAddress("127.0.0.1", lbd.vipPort));
                source = "127.0.0.7:" + held.getLocalPort();
                String established = awaitLine(lbd, source + " ", "ESTABLISHED");
                assertThat(established).matches("TCP 1[45]:[0-5]\\d  ESTABLISHED "
                        + Pattern.quote(String.format("%-18s %-18s %s", source, vip, rip)));
                assertThat(out.lines().toList()).startsWith("IPVS connection entries",
                        "pro expire state       source             virtual            destination");
                assertThat(out.lines().filter(l -> l.contains(" NONE ")).toList()).singleElement().asString()
                        .matches("TCP 0[45]:[0-5]\\d  NONE        "
                                + Pattern.quote(String.format("%-18s %-18s %s", "127.0.0.7:0", vip, rip)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            do {
                assertThat(lbadm(lbd, "-Lnc")).isZero();
                if (!out.contains(source + " ")) {
                    break;
                }
                Thread.sleep(50);
            } while (System.nanoTime() < deadline);
            assertThat(out).as("the closed connection left the table").doesNotContain(source + " ")
                    .contains("127.0.0.7:0 ");
            assertThat(lbadm(lbd, "-Ln", "-c", "--stats")).isEqualTo(2);
            assertThat(lbadm(lbd, "-Z", "-c")).isEqualTo(2);
        }
    }

    /** --set reaches the published snapshot (the DR workers' flow tables follow it) and outlives a reload. */
    @Test
    void timeoutsSetLiveArePublishedAndKeptAcrossAReload() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            assertThat(lbadm(lbd, "--set", "600", "0", "45")).as(err).isZero();
            assertThat(lbd.director.publisher().current().timeouts())
                    .isEqualTo(new lbd.dataplane.table.ConnectionTimeouts(600, 120, 45));
            assertThat(lbadm(lbd, "--reload")).isZero();
            assertThat(lbadm(lbd, "-L", "--timeout")).isZero();
            assertThat(out).isEqualTo("Timeout (tcp tcpfin udp): 600 120 45\n");
        }
    }

    /**
     * -A, -a, -D, -C and -R on a running director: a service added with lbadm serves through its VIP once it has a
     * masq server; -S | -R changes nothing; a restore that differs applies just the difference; -C empties the
     * table and a reload brings the file's services back.
     */
    @Test
    void wholeServicesAreAddedDeletedClearedAndRestored() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            int port = TestHttp.freePort();
            String vip2 = "127.0.0.1:" + port;
            String vm2 = "127.0.0.1:" + lbd.backends.port(0);
            String vm3 = "127.0.0.1:" + lbd.backends.port(1);
            assertThat(lbadm(lbd, "-A", "-t", vip2, "-s", "rr")).as(err).isZero();
            assertThat(lbadm(lbd, "-A", "-t", vip2)).isEqualTo(1);
            assertThat(err).startsWith("lbadm: Service already exists");
            assertThat(lbadm(lbd, "-a", "-t", vip2, "-r", vm3, "-m")).as(err).isZero();
            assertThat(TestHttp.get(null, "127.0.0.1", port)).isEqualTo("This is VM3");
            assertThat(lbadm(lbd, "-S", "-n")).isZero();
            String saved = out;
            assertThat(saved).contains("-A -t " + vip2 + " -s rr\n-a -t " + vip2 + " -r " + vm3 + " -m -w 1\n");

            // -S | -R changes nothing: no table is rebuilt, the table reads the same.
            long builds = lbd.director.onControl(() -> lbd.director.publisher().current().version());
            assertThat(lbadmWithInput(lbd, saved, "-R")).as(err).isZero();
            assertThat(lbd.director.onControl(() -> lbd.director.publisher().current().version())).isEqualTo(builds);
            assertThat(lbadm(lbd, "-S", "-n")).isZero();
            assertThat(out).isEqualTo(saved);

            // A restore that differs: the second service gets VM2 instead of VM3, and wlc.
            String edited = saved.replace("-A -t " + vip2 + " -s rr", "-A -t " + vip2 + " -s wlc")
                    .replace("-a -t " + vip2 + " -r " + vm3, "-a -t " + vip2 + " -r " + vm2);
            assertThat(lbadmWithInput(lbd, edited, "-R")).as(err).isZero();
            assertThat(lbadm(lbd, "-S", "-n")).isZero();
            assertThat(out).isEqualTo(edited);
            assertThat(TestHttp.get(null, "127.0.0.1", port)).isEqualTo("This is VM2");

            assertThat(lbadm(lbd, "-D", "-t", vip2)).isZero();
            assertThat(lbadm(lbd, "-D", "-t", vip2)).isEqualTo(1);
            assertThat(err).startsWith("lbadm: No such service");
            assertThat(TestHttp.get(null, "127.0.0.1", port)).startsWith("error");
            assertThat(lbadm(lbd, "-C")).isZero();
            assertThat(lbadm(lbd, "-Sn")).isZero();
            assertThat(out).isEmpty();
            assertThat(lbd.get()).startsWith("error");

            assertThat(lbadm(lbd, "--reload")).isZero();
            assertThat(lbadm(lbd, "-Sn")).isZero();
            assertThat(out).startsWith("-A -t 127.0.0.1:" + lbd.vipPort + " -s rr\n");
            lbd.awaitBothServing();
        }
    }

    /** Runs lbadm -Lnc until a line holds both {@code a} and {@code b} (bounded); returns it. */
    private String awaitLine(LiveDirector lbd, String a, String b) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            assertThat(lbadm(lbd, "-Lnc")).as(err).isZero();
            Optional<String> line = out.lines().filter(l -> l.contains(a) && l.contains(b)).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line with '" + a + "' and '" + b + "' in\n" + out);
            }
            Thread.sleep(50);
        }
    }
}
