package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** scripts/vip-setup.sh: shellcheck-clean, refuses non-root, and start/status/stop in a network namespace. */
@Timeout(60)
class VipSetupScriptTest {

    private static final String NS = "lbt-vip-" + ProcessHandle.current().pid();

    private final String script = Shell.script("vip-setup.sh").toString();

    @Test
    void passesShellcheckAsPosixSh() {
        assumeTrue(Shell.run(List.of("sh", "-c", "command -v shellcheck")).exitCode() == 0, "shellcheck is not installed");
        Shell.Result r = Shell.run(List.of("shellcheck", "-s", "sh", script));
        assertThat(r.output()).isEmpty();
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void refusesToRunWithoutRoot() {
        assumeTrue(Shell.isRoot(), "needs root to drop to an unprivileged user");
        Shell.Result r = Shell.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "sh", script, "start", "198.18.0.100"));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("must run as root");
    }

    @Test
    void startIsIdempotentAndStopRestoresThePreviousValues() throws Exception {
        assumeTrue(Shell.isRoot(), "network namespace tests need root; skipped");
        Shell.deleteNamespaces("lbt-vip-");
        Path etc = Files.createTempDirectory("lbt-vip-etc");
        try {
            Shell.run(List.of("ip", "netns", "add", NS)).assertOk("ip netns add");
            ns("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p").assertOk("veth");
            // Prior values that differ from what start sets, so that a restore is visible.
            ns("sh", "-c", "echo 2 > /proc/sys/net/ipv4/conf/all/arp_ignore; echo 1 > /proc/sys/net/ipv4/conf/eth0/arp_announce")
                    .assertOk("prior sysctls");
            String before = sysctls();

            assertThat(ns(script, "status").exitCode()).as("status before start").isEqualTo(3);

            ns(script, "--iface", "eth0", "start", "198.18.0.100").assertOk("first start");
            String afterFirst = addresses() + sysctls();
            ns(script, "--iface", "eth0", "start", "198.18.0.100").assertOk("second start");
            assertThat(addresses() + sysctls()).as("start twice changes nothing").isEqualTo(afterFirst);

            assertThat(addresses()).contains("198.18.0.100/32").contains("lo:0");
            assertThat(sysctls()).isEqualTo("all 1 2\neth0 1 2\n");

            Shell.Result status = ns(script, "status").assertOk("status");
            assertThat(status.output()).contains("198.18.0.100").contains("net.ipv4.conf.eth0.arp_ignore = 1");

            // --persist writes the drop-in and unit (under a test sysconfdir), stop --persist removes them.
            Shell.run(List.of("ip", "netns", "exec", NS, "env", "LBD_VIP_SYSCONFDIR=" + etc, script,
                    "--persist", "--iface", "eth0", "start", "198.18.0.101")).assertOk("persist start");
            Path unit = etc.resolve("systemd/system/lbd-vip.service");
            assertThat(Files.readString(unit)).contains("start 198.18.0.100 198.18.0.101");
            assertThat(Files.readString(etc.resolve("sysctl.d/90-lbd-vip.conf")))
                    .contains("net.ipv4.conf.eth0.arp_ignore = 1");

            Shell.run(List.of("ip", "netns", "exec", NS, "env", "LBD_VIP_SYSCONFDIR=" + etc, script,
                    "stop", "--persist")).assertOk("stop");
            assertThat(unit).doesNotExist();
            assertThat(addresses()).doesNotContain("198.18.0.100").doesNotContain("198.18.0.101");
            assertThat(sysctls()).as("previous values restored").isEqualTo(before);
            assertThat(ns(script, "status").exitCode()).as("status after stop").isEqualTo(3);
            ns(script, "stop").assertOk("stop twice");
        } finally {
            Shell.run(List.of("ip", "netns", "exec", NS, script, "stop"));
            Shell.run(List.of("ip", "netns", "del", NS));
            try (Stream<Path> files = Files.walk(etc)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * --tunnel (an ipip real server): tunl0 up, rp_filter 0 on it and "all" lowered from strict to loose; twice
     * changes nothing, without --tunnel on top is refused, stop restores every value and tunl0's state. Where the
     * kernel has no ipip module, a TUN device named tunl0 stands in for the kernel's (the script only brings it up).
     */
    @Test
    void tunnelModeBringsTunl0UpRelaxesReversePathFilteringAndStopRestoresIt() throws Exception {
        assumeTrue(Shell.isRoot(), "network namespace tests need root; skipped");
        String nsName = NS + "t";
        try {
            Shell.run(List.of("ip", "netns", "add", nsName)).assertOk("ip netns add");
            Shell.inNetns(nsName, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p").assertOk("veth");
            if (Shell.inNetns(nsName, "sh", "-c", "modprobe ipip 2>/dev/null; ip link show tunl0").exitCode() != 0) {
                Shell.inNetns(nsName, "ip", "tuntap", "add", "dev", "tunl0", "mode", "tun").assertOk("stand-in tunl0");
            }
            if (Shell.inNetns(nsName, "sh", "-c", "modprobe ip6_tunnel 2>/dev/null; ip link show ip6tnl0")
                    .exitCode() != 0) {
                Shell.inNetns(nsName, "ip", "tuntap", "add", "dev", "ip6tnl0", "mode", "tun").assertOk("stand-in");
            }
            Shell.inNetns(nsName, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter;"
                    + " echo 1 > /proc/sys/net/ipv4/conf/tunl0/rp_filter").assertOk("prior rp_filter");
            String before = tunnelState(nsName);
            assertThat(before).contains("rp all 1 tunl0 1").doesNotContainPattern("[<,]UP[,>]");

            Shell.inNetns(nsName, script, "--iface", "eth0", "--tunnel", "start", "198.18.0.100").assertOk("start");
            String after = tunnelState(nsName);
            assertThat(after).contains("rp all 2 tunl0 0").containsPattern("[<,]UP[,>]");
            Shell.inNetns(nsName, script, "--iface", "eth0", "--tunnel", "start", "198.18.0.100").assertOk("again");
            assertThat(tunnelState(nsName)).as("start twice changes nothing").isEqualTo(after);
            assertThat(Shell.inNetns(nsName, "ip", "-4", "-o", "addr", "show", "dev", "lo").output())
                    .contains("198.18.0.100/32");
            Shell.Result without = Shell.inNetns(nsName, script, "--iface", "eth0", "start", "198.18.0.100");
            assertThat(without.exitCode()).isEqualTo(1);
            assertThat(without.output()).contains("already set up with --tunnel");
            // An IPv6 VIP added later: ip6tnl0 comes up too, and stop takes it down again.
            Shell.inNetns(nsName, script, "--iface", "eth0", "--tunnel", "start", "2001:db8::1").assertOk("IPv6");
            assertThat(Shell.inNetns(nsName, script, "status").assertOk("status").output())
                    .contains("net.ipv4.conf.tunl0.rp_filter = 0").contains("tunnel: up").contains("tunnel6: up");

            Shell.inNetns(nsName, script, "stop").assertOk("stop");
            assertThat(tunnelState(nsName)).as("previous values restored").isEqualTo(before);
            assertThat(Shell.inNetns(nsName, "ip", "-o", "link", "show", "ip6tnl0").output().split(" ")[2])
                    .doesNotContainPattern("[<,]UP[,>]");
        } finally {
            Shell.run(List.of("ip", "netns", "exec", nsName, script, "stop"));
            Shell.run(List.of("ip", "netns", "del", nsName));
        }
    }

    private static String tunnelState(String nsName) {
        return Shell.inNetns(nsName, "sh", "-c", "echo rp all $(cat /proc/sys/net/ipv4/conf/all/rp_filter)"
                + " tunl0 $(cat /proc/sys/net/ipv4/conf/tunl0/rp_filter); ip -o link show tunl0 | cut -d' ' -f3").output();
    }

    private static Shell.Result ns(String... command) {
        return Shell.inNetns(NS, command);
    }

    private static String addresses() {
        return ns("ip", "-4", "-o", "addr", "show", "dev", "lo").output();
    }

    private static String sysctls() {
        return ns("sh", "-c", "for d in all eth0; do echo $d $(cat /proc/sys/net/ipv4/conf/$d/arp_ignore)"
                + " $(cat /proc/sys/net/ipv4/conf/$d/arp_announce); done").output();
    }
}
