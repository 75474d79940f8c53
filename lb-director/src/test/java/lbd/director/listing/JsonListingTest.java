package lbd.director.listing;

import static org.assertj.core.api.Assertions.assertThat;

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
}
