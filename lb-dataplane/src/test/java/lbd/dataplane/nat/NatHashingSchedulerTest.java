package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.config.model.Endpoint;
import lbd.config.model.SchedulerKind;
import lbd.dataplane.sched.Scheduler;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.TestTables;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * sh and mh through the proxy with two event loops: each client address goes to the server its hash names,
 * whichever loop takes the connection — the same server a scheduler built elsewhere (another loop, another lbd)
 * computes for it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatHashingSchedulerTest {

    @Test
    void eachClientGoesWhereItsHashSaysOnEveryLoop() throws IOException {
        for (SchedulerKind kind : List.of(SchedulerKind.MH, SchedulerKind.SH)) {
            try (NatHarness h = new NatHarness(TransportKind.NIO, 2)) {
                List<String> names = List.of("A", "B", "C");
                Endpoint[] servers = new Endpoint[3];
                for (int i = 0; i < 3; i++) {
                    servers[i] = h.server(LoopbackServer.replyName(names.get(i))).endpoint();
                }
                ServiceTable table = h.table(kind, servers);
                h.publish(table);
                h.start();
                Scheduler elsewhere = Schedulers.create(kind);
                Set<String> seen = new HashSet<>();
                for (int c = 20; c < 60; c++) {
                    InetAddress client = InetAddress.getByName("127.0.0." + c);
                    int expected = elsewhere.pick(table, TestTables.counters(3), Schedulers.clientFold(client));
                    for (int i = 0; i < 3; i++) {
                        assertThat(from(h, client)).as("%s, client %s, connection %d", kind, client, i)
                                .isEqualTo(names.get(expected));
                    }
                    seen.add(names.get(expected));
                }
                assertThat(seen).as("%s spreads 40 clients", kind).hasSizeGreaterThan(1);
            }
        }
    }

    private static String from(NatHarness h, InetAddress source) throws IOException {
        try (Socket client = new Socket()) {
            client.bind(new InetSocketAddress(source, 0));
            client.connect(new InetSocketAddress(h.vip.address().address(), h.vip.address().port()), 2_000);
            client.setSoTimeout(5_000);
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
