package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;

/**
 * Each change of an interface the DR path bound to at start is said once: removed, or removed and created again with
 * another index (what Debian's ifdown and ifup do to a VLAN interface); an interface that only went down and up keeps
 * its index and is not reported. On this host: a veth pair created, removed and created again.
 */
class BoundInterfacesTest {

    private final Map<String, Integer> indexes = new HashMap<>(Map.of("eth0", 2, "eth0.10", 4));
    private final BoundInterfaces bound = new BoundInterfaces(
            List.of(new DrInterface("eth0", 2, 0), new DrInterface("eth0.10", 4, 0)),
            name -> indexes.getOrDefault(name, BoundInterfaces.GONE));

    @Test
    void unchangedInterfacesAreNotReported() {
        assertThat(bound.changes()).isEmpty();
        assertThat(bound.changes()).isEmpty();
    }

    @Test
    void aRemovedInterfaceIsReportedOnceThenItsNewIndexOnce() {
        indexes.remove("eth0.10");
        assertThat(bound.changes()).singleElement().asString()
                .startsWith("direct routing: eth0.10 (index 4) was removed: lbd no longer receives or sends on it")
                .contains("Run lbd upgrade once it is");
        assertThat(bound.changes()).as("said once").isEmpty();

        indexes.put("eth0.10", 9);
        assertThat(bound.changes()).singleElement().asString()
                .startsWith("direct routing: eth0.10 was removed and created again (index 9, lbd bound to 4)")
                .contains("Run lbd upgrade");
        assertThat(bound.changes()).isEmpty();
    }

    @Test
    void oneCreatedAgainWithItsOldIndexStillNeedsANewProcess() {
        indexes.remove("eth0");
        assertThat(bound.changes()).hasSize(1);
        indexes.put("eth0", 2); // ip link add ... index 2: the same number, but not the interface lbd's sockets knew
        assertThat(bound.changes()).singleElement().asString()
                .startsWith("direct routing: eth0 is back as index 2, the one lbd bound to")
                .contains("run lbd upgrade");
    }

    @Test
    void theHostsInterfacesAreReadByName() {
        assumeTrue(Shell.isRoot(), "BoundInterfacesTest's host part creates a veth pair: run as root; skipped");
        String name = "lbtgone0";
        Shell.attempt(List.of("ip", "link", "del", name));
        try {
            Shell.run(List.of("ip", "link", "add", name, "type", "veth", "peer", "name", "lbtgone1"))
                    .assertOk("ip link add");
            int index = Integer.parseInt(Shell.run(List.of("cat", "/sys/class/net/" + name + "/ifindex")).output()
                    .strip());
            BoundInterfaces host = BoundInterfaces.ofHost(List.of(new DrInterface(name, index, 0)));
            Shell.run(List.of("ip", "link", "set", name, "down")).assertOk("down");
            Shell.run(List.of("ip", "link", "set", name, "up")).assertOk("up");
            assertThat(host.changes()).as("down and up: the same interface").isEmpty();

            Shell.run(List.of("ip", "link", "del", name)).assertOk("ip link del");
            assertThat(host.changes()).singleElement().asString().contains(name + " (index " + index + ") was removed");

            Shell.run(List.of("ip", "link", "add", name, "type", "veth", "peer", "name", "lbtgone1"))
                    .assertOk("ip link add again");
            assertThat(host.changes()).singleElement().asString().contains(name + " was removed and created again");
        } finally {
            Shell.attempt(List.of("ip", "link", "del", name));
        }
    }
}
