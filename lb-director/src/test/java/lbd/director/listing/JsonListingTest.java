package lbd.director.listing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.director.core.Transition;
import lbd.director.ha.HaRole;
import lbd.director.ha.HaStatus;
import lbd.director.ha.PeerState;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.table.ConnectionTimeouts;
import org.junit.jupiter.api.Test;

/** lbadm --json, schema 1: the documented fields, exactly. */
class JsonListingTest {

    private static final VirtualServiceKey WEB = new VirtualServiceKey(Protocol.TCP, Endpoint.of("10.8.8.45", 80));

    @Test
    void theTableHasEveryServiceWithItsServersCountersAndRates() {
        TableView view = new TableView(List.of(new ServiceView(WEB, "wlc", OptionalInt.of(300),
                Optional.of("255.255.255.0"), new RealServerStats(1, 2, 10, 1000, 5000, 20, 30), new Rates(1, 2, 3, 4, 5),
                List.of(new DestinationView(Endpoint.of("10.8.8.48", 80), ForwardingMethod.GATE, 1,
                        new RealServerStats(1, 2, 10, 1000, 5000, 20, 30), Rates.ZERO, "weight set by lbadm", true, 3)),
                List.of(new HeldOutView(Endpoint.of("10.8.8.49", 80), "connect: refused")), "")));
        assertThat(JsonListing.table(view, false)).isEqualTo("{\"schema\":1,\"kind\":\"table\",\"services\":[{"
                + "\"protocol\":\"tcp\",\"address\":\"10.8.8.45\",\"port\":80,\"scheduler\":\"wlc\",\"flags\":\"\","
                + "\"persistent\":300,\"netmask\":\"255.255.255.0\","
                + "\"stats\":{\"connections\":10,\"inPackets\":20,\"outPackets\":30,\"inBytes\":1000,\"outBytes\":5000},"
                + "\"rates\":{\"cps\":1,\"inPps\":2,\"outPps\":3,\"inBps\":4,\"outBps\":5},"
                + "\"servers\":[{\"address\":\"10.8.8.48\",\"port\":80,\"forward\":\"gate\",\"weight\":1,\"up\":true,"
                + "\"activeConnections\":1,\"inactiveConnections\":2,\"persistentConnections\":3,"
                + "\"upperThreshold\":0,\"lowerThreshold\":0,"
                + "\"note\":\"weight set by lbadm\","
                + "\"stats\":{\"connections\":10,\"inPackets\":20,\"outPackets\":30,\"inBytes\":1000,\"outBytes\":5000},"
                + "\"rates\":{\"cps\":0,\"inPps\":0,\"outPps\":0,\"inBps\":0,\"outBps\":0}}],"
                + "\"heldOut\":[{\"address\":\"10.8.8.49\",\"port\":80,\"reason\":\"connect: refused\"}]}]}\n");
    }

    @Test
    void connectionsAndTimeouts() {
        ConnectionEntries table = new ConnectionEntries(List.of(new ConnectionEntry(Endpoint.of("192.168.1.7", 5000),
                WEB, Endpoint.of("10.8.8.48", 80), "FIN_WAIT", 115_999)), 3);
        assertThat(JsonListing.connections(table)).isEqualTo("{\"schema\":1,\"kind\":\"connections\",\"total\":3,"
                + "\"listed\":1,\"connections\":[{\"protocol\":\"tcp\",\"state\":\"FIN_WAIT\",\"expiresSeconds\":115,"
                + "\"source\":{\"address\":\"192.168.1.7\",\"port\":5000},"
                + "\"virtual\":{\"address\":\"10.8.8.45\",\"port\":80},"
                + "\"destination\":{\"address\":\"10.8.8.48\",\"port\":80}}]}\n");
        assertThat(JsonListing.timeouts(ConnectionTimeouts.DEFAULTS))
                .isEqualTo("{\"schema\":1,\"kind\":\"timeouts\",\"tcp\":900,\"tcpfin\":120,\"udp\":300}\n");
    }

    /** The status page's kind: the table's objects with more fields, then transitions, HA and direct routing. */
    @Test
    void theStatusHasEachServersStateLastCheckAndHistoryWithTransitionsHaAndDirectRouting() throws Exception {
        RealServerStats none = RealServerStats.ZERO;
        Endpoint up = Endpoint.of("10.8.8.48", 80);
        Endpoint drained = Endpoint.of("10.8.8.49", 80);
        Endpoint down = Endpoint.of("10.8.8.50", 80);
        Endpoint fallback = Endpoint.of("127.0.0.1", 80);
        Endpoint heldOut = Endpoint.of("10.8.8.51", 80);
        TableView table = new TableView(List.of(new ServiceView(WEB, "wlc", OptionalInt.empty(), Optional.empty(), none,
                Rates.ZERO, List.of(
                        new DestinationView(up, ForwardingMethod.GATE, 1, none, Rates.ZERO, "", true),
                        new DestinationView(drained, ForwardingMethod.GATE, 0, none, Rates.ZERO, "weight set by lbadm", true),
                        new DestinationView(down, ForwardingMethod.GATE, 0, none, Rates.ZERO, "down: connect: refused", false),
                        new DestinationView(fallback, ForwardingMethod.GATE, 1, none, Rates.ZERO, TableViews.FALLBACK_NOTE, true)),
                List.of(new HeldOutView(heldOut, "negotiate: <script>")))));
        Instant at = Instant.parse("2026-01-05T09:03:04Z");
        StatusView status = new StatusView("lbd version 0.1.0", at, table,
                Map.of(new RealServerKey(WEB, up), Duration.ofMillis(12)),
                Map.of(new RealServerKey(WEB, up), new RateHistory.Series(new long[] {1, 2}, new long[] {10, 20}),
                        new RealServerKey(WEB, drained), new RateHistory.Series(new long[] {3}, new long[] {30})),
                Map.of(WEB, Duration.ofSeconds(5)),
                List.of(new Transition(at, WEB, "10.8.8.50:80", "down", "connect: refused")),
                Optional.of(new HaStatus("lvs1", HaRole.ACTIVE, at, "peer dead", "lvs2", PeerState.DEAD, null, 2, 1)),
                Optional.of(new DirectRoutingView(Map.of("received", 10L, "forwarded", 7L, "dropped-no-service", 2L,
                        "frames-truncated", 1L, "arp-replies-sent", 4L),
                        List.of(new FlowOccupancy(0, 5, 100), new FlowOccupancy(1, 6, 100)),
                        Map.of(new RealServerKey(WEB, up), true, new RealServerKey(WEB, down), false))));

        JsonNode json = new ObjectMapper().readTree(JsonListing.status(status));

        assertThat(json.get("schema").asInt()).isEqualTo(1);
        assertThat(json.get("kind").asText()).isEqualTo("status");
        assertThat(json.get("time").asLong()).isEqualTo(at.toEpochMilli());
        JsonNode service = json.get("services").get(0);
        assertThat(service.get("checkIntervalSeconds").asDouble()).isEqualTo(5.0);
        assertThat(service.get("history").toString()).isEqualTo("{\"cps\":[1,5],\"bytesPerSecond\":[10,50]}");
        List<String> states = new java.util.ArrayList<>();
        service.get("servers").forEach(srv -> states.add(srv.get("address").asText() + " " + srv.get("state").asText()));
        assertThat(states).containsExactly("10.8.8.48 up", "10.8.8.49 drained", "10.8.8.50 down", "127.0.0.1 fallback");
        JsonNode first = service.get("servers").get(0);
        assertThat(first.get("lastCheckSeconds").asDouble()).isEqualTo(0.012);
        assertThat(first.get("history").get("cps").toString()).isEqualTo("[1,2]");
        assertThat(service.get("servers").get(2).get("lastCheckSeconds").isNull()).isTrue();
        assertThat(service.get("heldOut").get(0).get("state").asText()).isEqualTo("held out");
        assertThat(service.get("heldOut").get(0).get("reason").asText()).isEqualTo("negotiate: <script>");
        assertThat(json.get("transitions").get(0).get("server").asText()).isEqualTo("10.8.8.50:80");
        assertThat(json.get("transitions").get(0).get("service").get("port").asInt()).isEqualTo(80);
        assertThat(json.get("ha").get("role").asText()).isEqualTo("active");
        assertThat(json.get("ha").get("peerState").asText()).isEqualTo("dead");
        assertThat(json.get("ha").get("peerRole").isNull()).isTrue();
        JsonNode dr = json.get("directRouting");
        assertThat(dr.get("received").asLong()).isEqualTo(10);
        assertThat(dr.get("forwarded").asLong()).isEqualTo(7);
        assertThat(dr.get("dropped").get("no-service").asLong()).isEqualTo(2);
        assertThat(dr.get("dropped").get("truncated").asLong()).isEqualTo(1);
        assertThat(dr.get("droppedTotal").asLong()).isEqualTo(3);
        assertThat(dr.get("replies").get("arp").asLong()).isEqualTo(4);
        assertThat(dr.get("flows").asLong()).isEqualTo(11);
        assertThat(dr.get("flowCapacity").asLong()).isEqualTo(200);
        assertThat(dr.get("unresolved").get(0).get("address").asText()).isEqualTo("10.8.8.50");
    }
}
