package lbd.director.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualService;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.Egress;
import lbd.dataplane.table.ServiceTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ldirectord's table rule, stated once (TableFactory): an up server gets its weight (an lbadm edit wins), a
 * down one weight 0 with quiescent=yes and no place at all with quiescent=no, and the fallback serves only
 * while no server has weight above 0. A gate server carries the MAC the control plane resolved.
 */
class TableFactoryTest {

    @TempDir
    Path dir;

    @Test
    void quiescentYesKeepsADownServerAtWeightZeroAndNoLeavesItOut() throws IOException {
        VirtualService quiescent = service("yes");
        VirtualService removing = service("no");
        RealServerKey up = quiescent.realServers().get(0).key();

        assertThat(build(quiescent, up).destinations()).extracting(d -> d.address().port(), Destination::weight)
                .containsExactly(tuple(8002, 0), tuple(8001, 5)); // IPVS order: the last real= line first
        assertThat(build(removing, removing.realServers().get(0).key()).destinations())
                .extracting(d -> d.address().port(), Destination::weight).containsExactly(tuple(8001, 5));
    }

    @Test
    void theFallbackIsInUseOnlyWhileNoServerHasWeight() throws IOException {
        VirtualService vs = service("yes");
        assertThat(build(vs, vs.realServers().get(0).key()).fallbackInUse()).isFalse();
        ServiceTable allDown = build(vs, null);
        assertThat(allDown.fallbackInUse()).isTrue();
        assertThat(allDown.fallback()).hasValueSatisfying(f -> assertThat(f.address().port()).isEqualTo(8080));
    }

    @Test
    void anLbadmWeightWinsOverTheFileAndAGateServerCarriesItsMac() throws IOException {
        VirtualService vs = load("""
                virtual=198.18.0.1:80
                \treal=198.18.0.11:80 gate 3
                \tscheduler=wrr
                \tprotocol=tcp
                \tchecktype=on
                """);
        RealServerKey key = vs.realServers().get(0).key();
        RuntimeEdits edits = new RuntimeEdits();
        edits.setWeight(key, 7);
        ServiceTable table = TableFactory.build(vs, k -> RealServerState.ALWAYS_UP, edits,
                Map.of(key, Egress.sameLink(0x0200_0000_0011L))::get, null, ConnectionTimeouts.DEFAULTS);
        assertThat(table.destinations()).singleElement().satisfies(d -> {
            assertThat(d.weight()).isEqualTo(7);
            assertThat(d.mac()).isEqualTo(0x0200_0000_0011L);
        });
    }

    @Test
    void aPersistentServiceKeepsItsTemplatesAndMarksWhatAHealthCheckHoldsDown() throws IOException {
        VirtualService vs = load("""
                virtual=198.18.0.1:443
                \treal=198.18.0.11:443 masq 5
                \treal=198.18.0.12:443 masq 2
                \tscheduler=wlc
                \tprotocol=tcp
                \tpersistent=600
                \tnetmask=255.255.255.0
                \tquiescent=yes
                """);
        RealServerKey firstServer = vs.realServers().get(0).key();
        RealServerKey second = vs.realServers().get(1).key();
        RuntimeEdits edits = new RuntimeEdits();
        edits.setWeight(firstServer, 0); // the operator's weight 0: not held down
        ServiceTable first = TableFactory.build(vs, k -> RealServerState.ALWAYS_UP, new RuntimeEdits(),
                k -> Egress.UNRESOLVED, null, ConnectionTimeouts.DEFAULTS);
        ServiceTable table = TableFactory.build(vs, k -> k.equals(firstServer) ? RealServerState.ALWAYS_UP
                : new RealServerState(false, "connect: refused"), edits, k -> Egress.UNRESOLVED, first,
                ConnectionTimeouts.DEFAULTS);

        assertThat(table.persistence()).hasValueSatisfying(p -> {
            assertThat(p.timeoutMillis()).isEqualTo(600_000);
            assertThat(p.prefixLength()).isEqualTo(24);
            assertThat(p.templates()).as("the previous table's").isSameAs(first.persistence().get().templates());
        });
        // Both at weight 0 now; each keeps its last weight above 0 (IPVS's last_weight, which mh builds from).
        assertThat(table.destinations()).extracting(Destination::key, Destination::weight, Destination::down,
                Destination::lastWeight).containsExactly(tuple(second, 0, true, 2), tuple(firstServer, 0, false, 5));
        assertThat(build(vs, firstServer).persistence()).hasValueSatisfying(p ->
                assertThat(p.templates()).as("no previous table: new ones").isNotSameAs(first.persistence().get()
                        .templates()));
    }

    @Test
    void aUdpServiceWithoutIdletimeoutTakesTheUdpTimeoutInForceAndOneWithItKeepsItsOwn() throws IOException {
        ConnectionTimeouts set = ConnectionTimeouts.DEFAULTS.with(0, 0, 7); // lbadm --set 0 0 7
        VirtualService dns = load("virtual=198.18.0.1:53\n\tprotocol=udp\n\treal=198.18.0.11 masq\n\tchecktype=on\n");
        assertThat(TableFactory.build(dns, k -> RealServerState.ALWAYS_UP, new RuntimeEdits(), k -> Egress.UNRESOLVED,
                null, set).idleTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(TableFactory.build(dns, k -> RealServerState.ALWAYS_UP, new RuntimeEdits(), k -> Egress.UNRESOLVED,
                null, ConnectionTimeouts.DEFAULTS).idleTimeout()).isEqualTo(Duration.ofSeconds(300));
        VirtualService own = load("virtual=198.18.0.1:53\n\tprotocol=udp\n\treal=198.18.0.11 masq\n\tchecktype=on\n"
                + "\tidletimeout=30\n");
        assertThat(TableFactory.build(own, k -> RealServerState.ALWAYS_UP, new RuntimeEdits(), k -> Egress.UNRESOLVED,
                null, set).idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        VirtualService tcp = load("virtual=198.18.0.1:80\n\treal=198.18.0.11 masq\n\tchecktype=on\n");
        assertThat(TableFactory.build(tcp, k -> RealServerState.ALWAYS_UP, new RuntimeEdits(), k -> Egress.UNRESOLVED,
                null, set).idleTimeout()).as("the proxy's tcp timeout, not --set's").isEqualTo(Duration.ofSeconds(900));
    }

    /** The first real server up (when {@code up} names it), every other one down. */
    private static ServiceTable build(VirtualService vs, RealServerKey up) {
        return TableFactory.build(vs, k -> k.equals(up) ? RealServerState.ALWAYS_UP
                : new RealServerState(false, "connect: refused"), new RuntimeEdits(), k -> Egress.UNRESOLVED, null,
                ConnectionTimeouts.DEFAULTS);
    }

    private VirtualService service(String quiescent) throws IOException {
        return load("""
                virtual=198.18.0.1:80
                \treal=198.18.0.11:8001 masq 5
                \treal=198.18.0.12:8002 masq 2
                \tfallback=127.0.0.1:8080 masq
                \tscheduler=wlc
                \tprotocol=tcp
                \tquiescent=%s
                """.formatted(quiescent));
    }

    private VirtualService load(String text) throws IOException {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, text);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result).as("%s", result).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) result).config().virtualServices().getFirst();
    }
}
