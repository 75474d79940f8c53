package lbd.director.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/nat-director-setup.sh: shellcheck-clean, refuses non-root, and in a network namespace start (twice: no
 * second rule), status, stop (twice) — with lbd's own start-up check ({@link TransparentRouting}) reading the real
 * tools' output in that namespace: satisfied after start, naming the missing piece before and after.
 */
@Timeout(60)
class NatDirectorSetupScriptTest {

    private static final String NS = "lbt-natsetup-" + ProcessHandle.current().pid();

    private final String script = Shell.script("nat-director-setup.sh").toString();

    @TempDir
    Path dir;

    @Test
    void passesShellcheckAsPosixSh() {
        assumeTrue(Shell.run(List.of("sh", "-c", "command -v shellcheck")).exitCode() == 0, "shellcheck is not installed");
        Shell.Result r = Shell.run(List.of("shellcheck", "-s", "sh", script));
        assertThat(r.output()).isEmpty();
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void refusesToRunWithoutRootAndBadArguments() {
        assumeTrue(Shell.isRoot(), "needs root to drop to an unprivileged user");
        Shell.Result r = Shell.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "sh", script, "start"));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).contains("must run as root");
        assertThat(Shell.run(List.of("sh", script, "--mark", "0", "start")).output())
                .contains("the mark must not be 0");
        assertThat(Shell.run(List.of("sh", script, "restart")).exitCode()).isEqualTo(2);
    }

    @Test
    void startIsIdempotentStopUndoesItAndLbdsCheckAgrees() throws Exception {
        assumeTrue(Shell.isRoot(), "network namespace tests need root; skipped");
        assumeTrue(Shell.run(List.of("sh", "-c", "command -v nft")).exitCode() == 0,
                "nft is not installed (apt-get install nftables)");
        Shell.deleteNamespaces(NS);
        ClusterConfig config = load("virtual=198.18.0.1:8080\n\treal=198.18.1.2:80 masq\n\tchecktype=on\n"
                + "\ttransparent=yes\n"
                + "virtual6=[2001:db8::1]:8080\n\treal6=[2001:db8:1::2]:80 masq\n\tchecktype=on\n\ttransparent=yes\n");
        TransparentRouting.Probe inNamespace = (program, args) -> {
            List<String> command = new ArrayList<>(List.of(program));
            command.addAll(List.of(args));
            Shell.Result r = Shell.inNetns(NS, command.toArray(String[]::new));
            return r.exitCode() == 0 ? r.output() : null;
        };
        try {
            Shell.run(List.of("ip", "netns", "add", NS)).assertOk("ip netns add");
            assertThat(ns("status").exitCode()).as("status before start").isEqualTo(3);
            assertThat(TransparentRouting.problems(config, inNamespace)).hasSize(2)
                    .allSatisfy(p -> assertThat(p).contains("policy rule 'fwmark MARK lookup TABLE'"));

            ns("start").assertOk("first start");
            String afterFirst = state();
            Shell.Result again = ns("start").assertOk("second start");
            assertThat(again.output()).contains("already there").doesNotContain("added");
            assertThat(state()).as("start twice changes nothing").isEqualTo(afterFirst);
            assertThat(afterFirst.split("fwmark 0x1 lookup 100", -1)).as("one rule per family").hasSize(3);
            assertThat(afterFirst).contains("local default dev lo").contains("socket transparent 1 meta mark set 0x00000001");
            assertThat(ns("status").assertOk("status").output()).contains("ipv4 rule: fwmark 0x1 lookup 100")
                    .contains("ipv6 route: local default dev lo table 100");
            assertThat(TransparentRouting.problems(config, inNamespace)).isEmpty();

            // Each piece missing on its own is named (here the mark, the last one lbd looks at).
            Shell.inNetns(NS, "nft", "flush", "table", "inet", "lbd_transparent").assertOk("flush");
            assertThat(TransparentRouting.problems(config, inNamespace)).hasSize(2)
                    .allSatisfy(p -> assertThat(p).contains("no firewall rule marks the"));
            assertThat(ns("status").exitCode()).isEqualTo(3);
            ns("start").assertOk("start repairs");
            assertThat(TransparentRouting.problems(config, inNamespace)).isEmpty();

            ns("stop").assertOk("stop");
            assertThat(state()).doesNotContain("fwmark").doesNotContain("lbd_transparent")
                    .doesNotContain("local default");
            assertThat(ns("status").exitCode()).as("status after stop").isEqualTo(3);
            ns("stop").assertOk("stop twice");
        } finally {
            ns("stop");
            Shell.deleteNamespaces(NS);
        }
    }

    /** Rules, local routes and the nft ruleset of the namespace. */
    private static String state() {
        return Shell.inNetns(NS, "sh", "-c", "ip -4 rule; ip -6 rule; ip -4 route show table 100;"
                + " ip -6 route show table 100; nft list ruleset").output();
    }

    private Shell.Result ns(String... args) {
        List<String> command = new ArrayList<>(List.of(script));
        command.addAll(List.of(args));
        return Shell.inNetns(NS, command.toArray(String[]::new));
    }

    private ClusterConfig load(String text) throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, text);
        return switch (ConfigLoader.load(file)) {
            case ConfigResult.Loaded loaded -> loaded.config();
            case ConfigResult.Invalid invalid -> throw new AssertionError(invalid.errors().toString());
        };
    }
}
