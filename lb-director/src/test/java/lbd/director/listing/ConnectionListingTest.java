package lbd.director.listing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import org.junit.jupiter.api.Test;

/** lbadm -Lc in ipvsadm 1.31's layout (list_conn, print_conn), byte for byte. */
class ConnectionListingTest {

    private static final VirtualServiceKey WEB = new VirtualServiceKey(Protocol.TCP, Endpoint.of("10.8.8.45", 80));
    private static final VirtualServiceKey MAIL = new VirtualServiceKey(Protocol.TCP, Endpoint.of("10.8.8.46", 25));

    @Test
    void printsIpvsadmsTitleAndColumnsSortedByServiceThenSource() {
        ConnectionEntries table = ConnectionListing.merge(List.of(
                new ConnectionEntries(List.of(
                        new ConnectionEntry(Endpoint.of("192.168.1.7", 52030), WEB, Endpoint.of("10.8.8.48", 80),
                                "FIN_WAIT", 115_999),
                        new ConnectionEntry(Endpoint.of("192.168.1.2", 40000), MAIL, Endpoint.of("10.8.8.49", 25),
                                "ESTABLISHED", 899_100)), 2),
                new ConnectionEntries(List.of(
                        new ConnectionEntry(Endpoint.of("192.168.1.0", 0), WEB, Endpoint.of("10.8.8.48", 80),
                                "NONE", 6_000_000)), 1)), ConnectionListing.LIMIT);

        assertThat(ConnectionListing.format(table, false, AddressNames.NUMERIC)).isEqualTo("""
                IPVS connection entries
                pro expire state       source             virtual            destination
                TCP 100:00 NONE        192.168.1.0:0      10.8.8.45:80       10.8.8.48:80
                TCP 01:55  FIN_WAIT    192.168.1.7:52030  10.8.8.45:80       10.8.8.48:80
                TCP 14:59  ESTABLISHED 192.168.1.2:40000  10.8.8.46:25       10.8.8.49:25
                """);
    }

    @Test
    void persistentConnAddsIpvsadmsTwoPersistenceEngineColumnsToTheTitleOnly() {
        ConnectionEntries table = new ConnectionEntries(List.of(new ConnectionEntry(Endpoint.of("192.168.1.7", 1),
                WEB, Endpoint.of("10.8.8.48", 80), "SYN_RECV", 59_000)), 1);
        assertThat(ConnectionListing.format(table, true, AddressNames.NUMERIC)).isEqualTo("""
                IPVS connection entries
                pro expire state       source             virtual            destination        pe name          pe_data
                TCP 00:59  SYN_RECV    192.168.1.7:1      10.8.8.45:80       10.8.8.48:80
                """);
    }

    @Test
    void aTableBeyondTheLimitIsCutAndSaysHowManyItLeftOut() {
        List<ConnectionEntry> many = new java.util.ArrayList<>();
        for (int port = 1; port <= 5; port++) {
            many.add(new ConnectionEntry(Endpoint.of("192.168.1.7", port), WEB, Endpoint.of("10.8.8.48", 80),
                    "ESTABLISHED", 1_000));
        }
        ConnectionEntries table = ConnectionListing.merge(List.of(new ConnectionEntries(many.subList(0, 3), 4),
                new ConnectionEntries(many.subList(3, 5), 2)), 2);
        String out = ConnectionListing.format(table, false, AddressNames.NUMERIC);
        assertThat(out.lines()).hasSize(5).contains("TCP 00:01  ESTABLISHED 192.168.1.7:1      10.8.8.45:80       10.8.8.48:80")
                .last().isEqualTo("lbd: 2 of 6 connection entries listed (lbadm -Lc lists at most 65536)");
    }
}
