package lbd.dataplane.dr.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import lbd.config.PropertySeed;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import org.junit.jupiter.api.Test;

class InheritedFlowsTest {

    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("198.18.0.10", 80));
    private static final List<RealServerKey> SERVERS = List.of(
            new RealServerKey(SERVICE, Endpoint.of("198.18.1.1", 80)),
            new RealServerKey(SERVICE, Endpoint.of("198.18.1.2", 80)));

    /** A TCP connection and a UDP flow of one client port and VIP:port are two keys. */
    record Key(long ch, long cl, int cport, long vh, long vl, int vport, boolean udp) {
    }

    record Value(RealServerKey server, byte state, boolean controlled, long deadline) {
    }

    @Test
    void behavesAsAMapOfConnectionsWithDeadlinesUnderRandomOperations() {
        Random random = new Random(PropertySeed.seed());
        for (int example = 0; example < 50; example++) {
            int capacity = 1 + random.nextInt(3000);
            InheritedFlows flows = new InheritedFlows(capacity);
            Map<Key, Value> model = new HashMap<>();
            InheritedFlows.Claim claim = new InheritedFlows.Claim();
            long now = 0;
            for (int op = 0; op < 5000; op++) {
                // Few distinct keys, so that puts replace and takes find.
                boolean ipv4 = random.nextInt(4) > 0;
                Key k = new Key(ipv4 ? FlowTable.IPV4 : random.nextInt(3), random.nextInt(2000), random.nextInt(3),
                        ipv4 ? FlowTable.IPV4 : 7, 0xC6120000L + random.nextInt(2), 80, random.nextBoolean());
                switch (random.nextInt(10)) {
                    case 0, 1, 2, 3, 4 -> {
                        Value v = new Value(SERVERS.get(random.nextInt(2)), (byte) random.nextInt(TcpStates.count()),
                                random.nextBoolean(), now + 1 + random.nextInt(1000));
                        boolean put = flows.put(k.ch, k.cl, k.cport, k.vh, k.vl, k.vport, k.udp, v.server, v.state,
                                v.controlled, v.deadline);
                        boolean fits = model.containsKey(k) || model.size() < capacity;
                        assertThat(put).isEqualTo(fits);
                        if (fits) {
                            model.put(k, v);
                        }
                    }
                    case 5, 6, 7 -> {
                        Value v = model.remove(k);
                        boolean live = v != null && v.deadline > now;
                        assertThat(flows.take(k.ch, k.cl, k.cport, k.vh, k.vl, k.vport, k.udp, now, claim))
                                .isEqualTo(live);
                        if (live) {
                            assertThat(new Value(claim.server(), claim.state(), claim.controlled(),
                                    claim.deadlineMillis())).isEqualTo(v);
                        }
                    }
                    case 8 -> now += random.nextInt(50);
                    default -> {
                        int before = model.size();
                        final long t = now;
                        model.values().removeIf(v -> v.deadline <= t);
                        assertThat(flows.expire(now)).isEqualTo(before - model.size());
                    }
                }
                assertThat(flows.size()).isEqualTo(model.size());
            }
            Map<Key, Value> seen = new HashMap<>();
            flows.forEach((ch, cl, cport, vh, vl, vport, udp, server, state, controlled, deadline) ->
                    seen.put(new Key(ch, cl, cport, vh, vl, vport, udp), new Value(server, state, controlled,
                            deadline)));
            assertThat(seen).isEqualTo(model);
        }
    }

    /** As IPVS's backup lists synchronised connections: state, the rest of the timer, client, VIP, real server. */
    @Test
    void listsTheConnectionsWaitingWithTheirStateAndTheRestOfTheirTimers() {
        InheritedFlows flows = new InheritedFlows(16);
        java.net.InetAddress client = Endpoint.of("198.18.2.7", 0).address();
        java.net.InetAddress vip = SERVICE.address().address();
        flows.put(FlowRecords.high(client), FlowRecords.low(client), 40001, FlowRecords.high(vip),
                FlowRecords.low(vip), 80, SERVERS.get(1), TcpStates.ESTABLISHED, false, 1_000 + 899_000);
        flows.put(FlowRecords.high(client), FlowRecords.low(client), 40002, FlowRecords.high(vip),
                FlowRecords.low(vip), 80, SERVERS.get(0), TcpStates.ESTABLISHED, false, 500); // timed out
        lbd.dataplane.conn.ConnectionEntries listed = flows.describe(10, 1_000);
        assertThat(listed.listed()).containsExactly(new lbd.dataplane.conn.ConnectionEntry(
                Endpoint.of("198.18.2.7", 40001), SERVICE, SERVERS.get(1).address(), "ESTABLISHED", 899_000));
        assertThat(flows.describe(0, 1_000).listed()).isEmpty();
        assertThat(flows.describe(0, 1_000).total()).isEqualTo(2);
    }
}
