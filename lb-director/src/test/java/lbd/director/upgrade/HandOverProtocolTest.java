package lbd.director.upgrade;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.unix.OpenFiles;
import lbd.director.unix.SeqPacketSocket;
import lbd.health.HealthState;
import lbd.health.InheritedVerdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandOverProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void theHandOverArrivesAsSentEvenWhenItsVerdictsNeedManyMessages() throws Exception {
        VirtualServiceKey tcp = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.1", 80));
        VirtualServiceKey udp = new VirtualServiceKey(Protocol.UDP, Endpoint.of("2001:db8::1", 53));
        Map<RealServerKey, InheritedVerdict> verdicts = new HashMap<>();
        for (int i = 0; i < 3000; i++) { // about 200 KB of lines: several messages
            verdicts.put(new RealServerKey(tcp, Endpoint.of("198.19." + (i / 250) + "." + (i % 250), 8080)),
                    new InheritedVerdict(i % 3 == 0 ? HealthState.DOWN : HealthState.UP,
                            "negotiate: receive \"found\" not matched (" + i + ")", i % 7 == 0));
        }
        verdicts.put(new RealServerKey(udp, Endpoint.of("2001:db8::2", 53)),
                new InheritedVerdict(HealthState.UP, "", false));
        Path file = Files.writeString(dir.resolve("socket-stand-in"), "x");
        try (java.io.FileInputStream open = new java.io.FileInputStream(file.toFile());
             SeqPacketSocket listener = SeqPacketSocket.listen(dir.resolve("h.sock"));
             SeqPacketSocket newSide = SeqPacketSocket.connect(dir.resolve("h.sock"));
             SeqPacketSocket oldSide = listener.accept(WAIT)) {
            int fd = OpenFiles.descriptorOf(file);
            HandOver sent = new HandOver(Map.of(tcp, new int[] {fd, fd}, udp, new int[] {fd}), verdicts);
            CompletableFuture<HandOverProtocol.Received> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return HandOverProtocol.receiveHandOver(newSide, WAIT);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            HandOverProtocol.sendHandOver(oldSide, sent, new int[] {1, 2});
            HandOverProtocol.Received got = received.get(10, TimeUnit.SECONDS);

            assertThat(got.handOver().verdicts()).isEqualTo(verdicts);
            assertThat(got.handOver().sockets()).containsOnlyKeys(tcp, udp);
            assertThat(got.handOver().sockets().get(tcp)).hasSize(2);
            assertThat(got.handOver().sockets().get(udp)).hasSize(1);
            assertThat(got.stdio()).hasSize(2);
            for (int[] fds : got.handOver().sockets().values()) {
                for (int each : fds) {
                    assertThat(OpenFiles.target(each)).isEqualTo(file);
                }
                SeqPacketSocket.closeAll(fds);
            }
            SeqPacketSocket.closeAll(got.stdio());
        }
    }

    @Test
    void directRoutingFlowsOfAnySizeAndAnHaNodesStateAndSocketComeBeforeReleased() throws Exception {
        byte[] flows = new byte[3 * SeqPacketSocket.MAX_MESSAGE + 17];
        new Random(3).nextBytes(flows);
        Path file = Files.writeString(dir.resolve("heartbeat-socket-stand-in"), "x");
        try (java.io.FileInputStream open = new java.io.FileInputStream(file.toFile());
             SeqPacketSocket listener = SeqPacketSocket.listen(dir.resolve("r.sock"));
             SeqPacketSocket newSide = SeqPacketSocket.connect(dir.resolve("r.sock"));
             SeqPacketSocket oldSide = listener.accept(WAIT)) {
            CompletableFuture<Release> received = CompletableFuture.supplyAsync(() -> {
                try {
                    return HandOverProtocol.receiveRelease(newSide, WAIT);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            int fd = OpenFiles.descriptorOf(file);
            HandOverProtocol.sendRelease(oldSide, new Release(flows, "role ACTIVE\nsequence 7\n", fd));
            Release got = received.get(10, TimeUnit.SECONDS);
            assertThat(got.drFlows()).isEqualTo(flows);
            assertThat(got.haState()).isEqualTo("role ACTIVE\nsequence 7\n");
            assertThat(got.haSocket()).isNotEqualTo(fd).isNotNegative();
            assertThat(OpenFiles.target(got.haSocket())).isEqualTo(file);
            SeqPacketSocket.closeAll(got.haSocket());

            HandOverProtocol.sendRelease(oldSide, Release.of(new byte[0]));
            Release none = HandOverProtocol.receiveRelease(newSide, WAIT);
            assertThat(none.drFlows()).isEmpty();
            assertThat(none.haState()).isNull();
            assertThat(none.haSocket()).isEqualTo(-1);
        }
    }

    @Test
    void anUnknownMessageEndsTheHandOver() throws Exception {
        try (SeqPacketSocket listener = SeqPacketSocket.listen(dir.resolve("u.sock"));
             SeqPacketSocket newSide = SeqPacketSocket.connect(dir.resolve("u.sock"));
             SeqPacketSocket oldSide = listener.accept(WAIT)) {
            oldSide.send("socket tcp 198.18.0.1:80", 1);
            oldSide.send("something-new");
            assertThatThrownBy(() -> HandOverProtocol.receiveHandOver(newSide, WAIT))
                    .hasMessageContaining("unexpected hand-over message: something-new");
        }
    }

    @Test
    void theDefaultDrFlowHookCarriesNothingAndRefusesFlowsItCannotRead() {
        assertThat(DrFlowHandOver.NONE.save()).isEmpty();
        DrFlowHandOver.NONE.restore(new byte[0]);
        assertThatThrownBy(() -> DrFlowHandOver.NONE.restore(new byte[] {1}))
                .hasMessageContaining("cannot read the direct-routing flows");
    }
}
