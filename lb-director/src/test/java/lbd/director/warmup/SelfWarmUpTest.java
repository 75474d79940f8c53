package lbd.director.warmup;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.dataplane.nat.LoopStats;
import lbd.director.TestHttp;
import lbd.director.cli.LbadmMain;
import lbd.director.control.DirectorOps;
import lbd.director.core.Director;
import lbd.director.demo.DemoBackends;
import lbd.director.demo.DemoConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The self warm-up against a running director: it serves its private connections through the director's transport
 * and leaves nothing of them in the director (listing, statistics, loop counters, the scheduler's position, threads).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SelfWarmUpTest {

    private static final SelfWarmUp.Bounds SMALL = new SelfWarmUp.Bounds(400, 400, Duration.ofSeconds(20), 4);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"AUTO", "NIO"})
    void runsToItsConnectionBoundOnTheDirectorsTransport(Transport transport) throws Exception {
        try (Lab lab = new Lab(dir, transport)) {
            SelfWarmUp.Outcome outcome = SelfWarmUp.run(lab.director.nat(), lab.config, SMALL);

            assertThat(outcome).isInstanceOf(SelfWarmUp.Done.class);
            SelfWarmUp.Done done = (SelfWarmUp.Done) outcome;
            assertThat(done.connections()).isEqualTo(400);
            // 3 of 4 connections carry one request, the fourth LoopbackClients.KEEP_ALIVE_REQUESTS; of the first
            // kind, the 7 with n % GIVE_UP_EVERY == GIVE_UP_AT (13, 77, ..., 397) give up before their reply.
            assertThat(done.requests()).isEqualTo(300 - 7 + 100L * LoopbackClients.KEEP_ALIVE_REQUESTS);
            assertThat(done.transport()).isEqualTo(lab.director.nat().transport());
            assertThat(done.describe()).startsWith("warm-up: 400 private loopback connections (1093 requests)"
                    + " through the NAT path (" + done.transport() + ") in ").endsWith(", at its bound of 400 connections");
        }
    }

    @Test
    void leavesNoTraceInListingsCountersSchedulerOrThreads() throws Exception {
        try (Lab lab = new Lab(dir, Transport.AUTO)) {
            lab.awaitBothUp();
            SelfWarmUp.Outcome outcome = SelfWarmUp.run(lab.director.nat(), lab.config, SMALL);
            assertThat(outcome).isInstanceOf(SelfWarmUp.Done.class);

            String stats = lab.lbadm("-Ln", "--stats");
            assertThat(stats).contains("TCP  127.0.0.1:" + lab.vipPort);
            // Every service and real-server row: 0 connections, packets and bytes; and no row of the private VIP.
            for (String row : stats.lines().filter(l -> l.startsWith("TCP") || l.contains("->")).toList()) {
                if (row.contains("RemoteAddress")) {
                    continue;
                }
                assertThat(row).contains("127.0.0.1:");
                assertThat(row.replaceAll("^.*?:\\d+\\s*", "").trim().split("\\s+")).containsOnly("0");
            }
            assertThat(stats.lines().filter(l -> l.startsWith("TCP"))).hasSize(1);
            assertThat(lab.director.nat().loopStats()).allSatisfy(loop -> {
                assertThat(loop.accepted()).isZero();
                assertThat(loop.scheduled()).isZero();
            });
            // The warm-up's clients and real server have stopped.
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("lbd-warmup"));
            // rr starts where a director that served nobody starts: the last real= line first (VM3).
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(TestHttp.get(lab.vipPort));
            }
            assertThat(answers).containsExactly("This is VM3", "This is VM2", "This is VM3", "This is VM2");
            assertThat(lab.director.nat().loopStats().stream().mapToLong(LoopStats::accepted).sum()).isEqualTo(4);
        }
    }

    @Test
    void anAddressItCannotListenOnEndsItWithItsReason() throws Exception {
        try (Lab lab = new Lab(dir, Transport.AUTO)) {
            // 198.18.0.0/15 is no address of this host: the private real server cannot listen there.
            SelfWarmUp.Outcome outcome = SelfWarmUp.run(lab.director.nat(), lab.config, SMALL,
                    InetAddress.getByName("198.18.7.7"));

            assertThat(outcome).isInstanceOf(SelfWarmUp.Failed.class);
            assertThat(outcome.describe()).startsWith("warm-up stopped after 0 connections in ")
                    .contains("cannot listen on 198.18.7.7: ").endsWith("; starting without it");
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("lbd-warmup"));
        }
    }

    @Test
    void aConfigurationWithoutTcpMasqServiceIsSkipped() throws Exception {
        Path file = dir.resolve("udp.cf");
        Files.writeString(file, """
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:9 masq
                \tprotocol=udp
                \tchecktype=on
                """.formatted(freePort()));
        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
        try (Director director = Director.start(config, Transport.AUTO, 1)) {
            SelfWarmUp.Outcome outcome = SelfWarmUp.run(director.nat(), config, SMALL);

            assertThat(outcome).isEqualTo(new SelfWarmUp.Skipped("no TCP virtual service forwards with masq"));
        }
    }

    /** The demo's two web servers behind an rr VIP, a director on them with one event loop, and its control socket. */
    private static final class Lab implements AutoCloseable {
        final DemoBackends vm2 = DemoBackends.start("VM2");
        final DemoBackends vm3 = DemoBackends.start("VM3");
        final int vipPort = freePort();
        final ClusterConfig config;
        final Director director;
        final DirectorOps ops;
        final Path socket;

        Lab(Path dir, Transport transport) throws Exception {
            Path file = dir.resolve("ldirectord.cf");
            socket = dir.resolve("lbd.sock");
            Files.writeString(file, DemoConfig.text(vm2.port(0), vm3.port(0), vipPort));
            config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
            director = Director.start(config, transport, 1);
            ops = DirectorOps.start(director, null, socket, java.util.Optional.empty(), "lbd version test");
        }

        /** Both real servers have passed their first check (polled: their checks run on their own schedule). */
        void awaitBothUp() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (director.health().services().iterator().next().upCount() < 2) {
                assertThat(System.nanoTime() - deadline).as("both demo servers up").isNegative();
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }

        String lbadm(String... arguments) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<String> all = new ArrayList<>(List.of(arguments));
            all.add("--socket");
            all.add(socket.toString());
            int status = LbadmMain.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertThat(status).as("lbadm %s", all).isZero();
            return out.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            try {
                ops.close();
                director.close();
            } finally {
                vm2.close();
                vm3.close();
            }
        }
    }
}
