package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lbd.director.ha.IpCommand;
import org.junit.jupiter.api.Test;

/**
 * The rtnetlink route look-up agrees with {@code ip -o route get} (iproute2 as the reference) on this host's own
 * table: a local address, each interface's directly connected network, an address behind the default route, and
 * one without a route.
 */
class KernelRouteTest {

    @Test
    void theLookUpAgreesWithIpRouteGet() throws Exception {
        List<InetAddress> addresses = new ArrayList<>(List.of(InetAddress.getByName("127.0.0.1"),
                InetAddress.getByName("198.51.100.7"), InetAddress.getByName("::1")));
        for (String line : IpCommand.run("-o", "-4", "addr", "show").output().lines().toList()) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    String own = f[i + 1].split("/")[0];
                    byte[] b = InetAddress.getByName(own).getAddress();
                    b[3] = (byte) (b[3] ^ 1); // a neighbour on the same network
                    addresses.add(InetAddress.getByName(own));
                    addresses.add(InetAddress.getByAddress(b));
                }
            }
        }
        int routed = 0;
        for (InetAddress a : addresses) {
            IpCommand.Result reference = IpCommand.run("-o", "route", "get", a.getHostAddress());
            Optional<KernelRoute> route = KernelRoute.lookup(a, new String[1]);
            if (!reference.ok()) {
                assertThat(route).as("%s: no route, as ip says: %s", a, reference.output()).isEmpty();
                continue;
            }
            routed++;
            KernelRoute r = route.orElseThrow(() -> new AssertionError(a + ": ip says " + reference.output()));
            List<String> words = List.of(reference.output().strip().split("\\s+"));
            assertThat(r.device()).as("%s: %s", a, reference.output()).isEqualTo(after(words, "dev"));
            assertThat(r.local()).as("%s: %s", a, reference.output()).isEqualTo(words.getFirst().equals("local"));
            assertThat(r.gateway().map(InetAddress::getHostAddress).map(KernelRouteTest::normal))
                    .as("%s: %s", a, reference.output()).isEqualTo(Optional.ofNullable(after(words, "via"))
                            .map(KernelRouteTest::normal));
            assertThat(r.source().map(InetAddress::getHostAddress).map(KernelRouteTest::normal))
                    .as("%s: %s", a, reference.output()).isEqualTo(Optional.ofNullable(after(words, "src"))
                            .map(KernelRouteTest::normal));
        }
        assertThat(routed).as("some addresses have a route").isPositive();
    }

    private static String after(List<String> words, String key) {
        int i = words.indexOf(key);
        return i < 0 || i + 1 >= words.size() ? null : words.get(i + 1);
    }

    private static String normal(String literal) {
        try {
            return InetAddress.getByName(literal).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(literal, e);
        }
    }
}
