package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * persistent= through the proxy with two event loops, clients on 127.0.0.x: a client network keeps its real
 * server whichever loop takes its connection, and across table rebuilds that keep the templates; an operator's
 * weight 0 keeps the persistent clients, a server a health check holds down loses them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatPersistenceTest {

    private static NatHarness h;
    private static List<Endpoint> servers;

    @BeforeAll
    static void start() throws IOException {
        h = new NatHarness(TransportKind.NIO, 2);
        servers = List.of(h.server(LoopbackServer.replyName("A")).endpoint(),
                h.server(LoopbackServer.replyName("B")).endpoint(),
                h.server(LoopbackServer.replyName("C")).endpoint());
        h.start();
    }

    @AfterAll
    static void stop() throws IOException {
        h.close();
    }

    @Test
    void fiftyConnectionsFromOneClientGoToOneServerAcrossLoopsWhileOthersAreSpread() throws IOException {
        h.publish(persistent(h.table(SchedulerKind.RR, servers.toArray(Endpoint[]::new)), 32, new PersistenceTemplates()));
        Set<String> first = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            first.add(from("127.0.0.5"));
        }
        assertThat(first).as("servers of 50 connections from 127.0.0.5").hasSize(1);
        Set<String> others = new HashSet<>();
        for (int c = 10; c < 16; c++) {
            String server = from("127.0.0." + c);
            assertThat(from("127.0.0." + c)).isEqualTo(server);
            others.add(server);
        }
        assertThat(others).as("servers of six other clients (rr per loop)").hasSizeGreaterThan(1);
    }

    @Test
    void aNetmaskMakesOneClientNetworkOfManyAddresses() throws IOException {
        h.publish(persistent(h.table(SchedulerKind.RR, servers.toArray(Endpoint[]::new)), 24, new PersistenceTemplates()));
        Set<String> seen = new HashSet<>();
        for (int c = 20; c < 40; c++) {
            seen.add(from("127.0.0." + c));
        }
        assertThat(seen).as("servers of 20 clients in 127.0.0.0/24").hasSize(1);
    }

    @Test
    void weightZeroKeepsPersistentClientsAHealthCheckHoldingTheServerDownDoesNot() throws IOException {
        PersistenceTemplates templates = new PersistenceTemplates();
        ServiceTable all = persistent(h.table(SchedulerKind.RR, servers.toArray(Endpoint[]::new)), 32, templates);
        h.publish(all);
        String sticky = from("127.0.0.50");
        int index = List.of("A", "B", "C").indexOf(sticky);

        h.publish(withDestination(all, index, 0, false)); // lbadm -e -w 0: quiesced by the operator
        for (int i = 0; i < 5; i++) {
            assertThat(from("127.0.0.50")).as("client of a server set to weight 0").isEqualTo(sticky);
        }
        assertThat(from("127.0.0.51")).as("a new client").isNotEqualTo(sticky);

        h.publish(withDestination(all, index, 0, true)); // a failed check, quiescent=yes
        String moved = from("127.0.0.50");
        assertThat(moved).as("client of a server a health check holds down").isNotEqualTo(sticky);
        h.publish(all);
        assertThat(from("127.0.0.50")).as("its new template holds").isEqualTo(moved);
    }

    // ----

    private static ServiceTable persistent(ServiceTable t, int prefix, PersistenceTemplates templates) {
        return new ServiceTable(t.key(), t.scheduler(), t.destinations(), t.fallback(), t.maxConnections(),
                t.connectTimeout(), t.idleTimeout(), Optional.of(new Persistence(300_000, prefix, templates)));
    }

    private static ServiceTable withDestination(ServiceTable t, int index, int weight, boolean down) {
        List<Destination> list = new ArrayList<>(t.destinations());
        Destination d = list.get(index);
        list.set(index, new Destination(d.index(), d.key(), d.forwarding(), weight, d.mac(), down));
        return new ServiceTable(t.key(), t.scheduler(), list, t.fallback(), t.maxConnections(), t.connectTimeout(),
                t.idleTimeout(), t.persistence());
    }

    /** One connection from {@code source}: the name of the server that answered. */
    private static String from(String source) throws IOException {
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            client.connect(new InetSocketAddress(h.vip.address().address(), h.vip.address().port()), 2_000);
            client.setSoTimeout(5_000);
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
