package lbd.director.listing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.counter.RealServerStats;
import org.junit.jupiter.api.Test;

class IpvsListingTest {

    private static final String FIRST = "IP Virtual Server version 1.2.1 (size=4096)";
    private static final VirtualServiceKey VIP = new VirtualServiceKey(Protocol.TCP, Endpoint.of("10.8.8.45", 80));

    private static DestinationView dest(String rip, int weight, long active, long inactive, String note) {
        return new DestinationView(Endpoint.of(rip, 80), ForwardingMethod.GATE, weight,
                new RealServerStats(active, inactive, 0, 0, 0, 0, 0), Rates.ZERO, note, true);
    }

    private static ServiceView service(List<DestinationView> dests) {
        return new ServiceView(VIP, "wlc", OptionalInt.empty(), Optional.empty(), RealServerStats.ZERO, Rates.ZERO,
                dests, List.of());
    }

    @Test
    void numericListingMatchesTheIpvsadmLayoutOfTheFieldGuide() {
        // Listed last-added first (IPVS order); ipvsadm sorts real servers by address.
        TableView view = new TableView(List.of(service(List.of(dest("10.8.8.49", 1, 0, 16, ""),
                dest("10.8.8.48", 1, 0, 15, "")))));

        String text = IpvsListing.format(view, ListingOptions.NUMERIC, AddressNames.NUMERIC, FIRST);

        assertThat(text).isEqualTo("""
                IP Virtual Server version 1.2.1 (size=4096)
                Prot LocalAddress:Port Scheduler Flags
                  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
                TCP  10.8.8.45:80 wlc
                  -> 10.8.8.48:80                 Route   1      0          15       \s
                  -> 10.8.8.49:80                 Route   1      0          16       \s
                """);
    }

    @Test
    void noSortKeepsTableOrderAndPersistenceAndNotesFollowTheColumns() {
        ServiceView s = new ServiceView(VIP, "rr", OptionalInt.of(600), Optional.of("255.255.255.0"),
                RealServerStats.ZERO, Rates.ZERO,
                List.of(new DestinationView(Endpoint.of("10.8.8.49", 8080), ForwardingMethod.MASQ, 0,
                                RealServerStats.ZERO, Rates.ZERO, "down: connect: connection refused", false),
                        dest("10.8.8.48", 3, 2, 1, "weight set by lbadm")),
                List.of(new HeldOutView(Endpoint.of("10.8.8.50", 80), "negotiate: receive not matched")));

        String text = IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, false, false, false, true), AddressNames.NUMERIC, FIRST);

        assertThat(text.lines().toList()).containsExactly(
                FIRST,
                "Prot LocalAddress:Port Scheduler Flags",
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
                "TCP  10.8.8.45:80 rr persistent 600 mask 255.255.255.0",
                "  -> 10.8.8.49:8080               Masq    0      0          0          down: connect: connection refused",
                "  -> 10.8.8.48:80                 Route   3      2          1          weight set by lbadm",
                "  -- 10.8.8.50:80 held out of the table by its health check: negotiate: receive not matched");
    }

    /** ipvsadm -S -n (print_service_entry with FMT_RULE): no title, sorted, forwarding switch and weight. */
    @Test
    void saveWritesIpvsadmRulesThatRestoreReads() {
        ServiceView s = new ServiceView(VIP, "wlc", OptionalInt.empty(), Optional.empty(), RealServerStats.ZERO,
                Rates.ZERO, List.of(dest("10.8.8.49", 1, 0, 16, ""),
                        new DestinationView(Endpoint.of("10.8.8.48", 8080), ForwardingMethod.MASQ, 0,
                                RealServerStats.ZERO, Rates.ZERO, "weight set by lbadm", true)),
                List.of(new HeldOutView(Endpoint.of("10.8.8.50", 80), "negotiate: receive not matched")));
        ServiceView persistent = new ServiceView(new VirtualServiceKey(Protocol.UDP, Endpoint.of("10.8.8.46", 53)),
                "rr", OptionalInt.of(300), Optional.of("255.255.255.0"), RealServerStats.ZERO, Rates.ZERO, List.of(),
                List.of());

        String text = IpvsListing.format(new TableView(List.of(persistent, s)),
                new ListingOptions(true, false, false, false, false, true), AddressNames.NUMERIC, FIRST);

        assertThat(text).isEqualTo("""
                -A -t 10.8.8.45:80 -s wlc
                -a -t 10.8.8.45:80 -r 10.8.8.48:8080 -m -w 0
                -a -t 10.8.8.45:80 -r 10.8.8.49:80 -g -w 1
                -A -u 10.8.8.46:53 -s rr -p 300 -M 255.255.255.0
                """);
    }

    @Test
    void schedulerFlagsFollowTheSchedulerInTheListingAndBecomeDashBInRules() {
        ServiceView s = new ServiceView(VIP, "sh", OptionalInt.of(300), Optional.empty(), RealServerStats.ZERO,
                Rates.ZERO, List.of(), List.of(), "sh-fallback,sh-port");
        assertThat(IpvsListing.format(new TableView(List.of(s)), new ListingOptions(true, false, false, false, false),
                AddressNames.NUMERIC, FIRST).lines()).contains("TCP  10.8.8.45:80 sh (sh-fallback,sh-port) persistent 300");
        assertThat(IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, false, false, false, false, true), AddressNames.NUMERIC, FIRST))
                .isEqualTo("-A -t 10.8.8.45:80 -s sh -p 300 -b sh-fallback,sh-port\n");
    }

    /** ipvsadm -L -n --persistent-conn (FMT_PERSISTENTCONN): its own title and Weight PersistConn columns. */
    @Test
    void persistentConnShowsEachServersTemplates() {
        ServiceView s = new ServiceView(VIP, "wlc", OptionalInt.of(300), Optional.empty(), RealServerStats.ZERO,
                Rates.ZERO, List.of(new DestinationView(Endpoint.of("10.8.8.48", 80), ForwardingMethod.GATE, 3,
                        new RealServerStats(2, 1, 0, 0, 0, 0, 0), Rates.ZERO, "", true, 17)), List.of());
        String text = IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, false, false, false, false, false, true), AddressNames.NUMERIC, FIRST);
        assertThat(text.lines().toList()).containsExactly(
                FIRST,
                "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ",
                "  -> RemoteAddress:Port",
                "TCP  10.8.8.45:80 wlc persistent 300",
                "  -> 10.8.8.48:80                 3         17          2          1         ");
    }

    @Test
    void statsUseNineWideColumnsAndAbbreviateLargeNumbers() {
        RealServerStats big = new RealServerStats(0, 0, 12, 123_456_789L, 5_000_000_000L, 345, 300);
        ServiceView s = new ServiceView(VIP, "wlc", OptionalInt.empty(), Optional.empty(), big, Rates.ZERO,
                List.of(new DestinationView(Endpoint.of("10.8.8.48", 80), ForwardingMethod.GATE, 1, big, Rates.ZERO,
                        "", true)), List.of());

        String text = IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, true, false, false, false), AddressNames.NUMERIC, FIRST);

        assertThat(text.lines().toList()).containsExactly(
                FIRST,
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
                "  -> RemoteAddress:Port",
                "TCP  10.8.8.45:80                       12      345      300  123456K    5000M",
                "  -> 10.8.8.48:80                       12      345      300  123456K    5000M");

        String exact = IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, true, false, true, false), AddressNames.NUMERIC, FIRST);
        assertThat(exact.lines().toList().get(3))
                .isEqualTo("TCP  10.8.8.45:80                       12      345      300 123456789 5000000000");
    }

    @Test
    void rateListingPrintsTheRateColumns() {
        Rates r = new Rates(5, 40, 38, 2048, 1_000_000);
        ServiceView s = new ServiceView(VIP, "wlc", OptionalInt.empty(), Optional.empty(), RealServerStats.ZERO, r,
                List.of(new DestinationView(Endpoint.of("10.8.8.48", 80), ForwardingMethod.GATE, 1,
                        RealServerStats.ZERO, r, "", true)), List.of());

        String text = IpvsListing.format(new TableView(List.of(s)),
                new ListingOptions(true, false, true, false, false), AddressNames.NUMERIC, FIRST);

        assertThat(text.lines().toList()).containsExactly(
                FIRST,
                "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
                "  -> RemoteAddress:Port",
                "TCP  10.8.8.45:80                        5       40       38     2048  1000000",
                "  -> 10.8.8.48:80                        5       40       38     2048  1000000");
    }

    @Test
    void servicesAreSortedByProtocolThenAddress() {
        VirtualServiceKey other = new VirtualServiceKey(Protocol.TCP, Endpoint.of("10.8.8.44", 443));
        ServiceView second = new ServiceView(other, "rr", OptionalInt.empty(), Optional.empty(), RealServerStats.ZERO,
                Rates.ZERO, List.of(), List.of());
        String text = IpvsListing.format(new TableView(List.of(service(List.of()), second)),
                ListingOptions.NUMERIC, AddressNames.NUMERIC, FIRST);

        assertThat(text.lines().filter(l -> l.startsWith("TCP")).toList())
                .containsExactly("TCP  10.8.8.44:443 rr", "TCP  10.8.8.45:80 wlc");
    }

    @Test
    void namesComeFromTheResolverWhenNotNumeric() {
        AddressNames names = (e, p) -> e.port() == 80 ? "web.example:http" : e.toString();
        String text = IpvsListing.format(new TableView(List.of(service(List.of(dest("10.8.8.48", 1, 0, 0, ""))))),
                new ListingOptions(false, false, false, false, false), names, FIRST);

        assertThat(text).contains("TCP  web.example:http wlc\n").contains("  -> web.example:http ");
    }

    @Test
    void largeNumbersFollowIpvsadmThresholds() {
        assertThat(IpvsListing.largeNumber(99_999_999L, false)).isEqualTo(" 99999999");
        assertThat(IpvsListing.largeNumber(100_000_000L, false)).isEqualTo("  100000K");
        assertThat(IpvsListing.largeNumber(1_000_000_000L, false)).isEqualTo("    1000M");
        assertThat(IpvsListing.largeNumber(100_000_000_000L, false)).isEqualTo("     100G");
        assertThat(IpvsListing.largeNumber(100_000_000_000_000L, false)).isEqualTo("     100T");
        assertThat(IpvsListing.largeNumber(123_456_789_012L, true)).isEqualTo(" 123456789012");
    }
}
