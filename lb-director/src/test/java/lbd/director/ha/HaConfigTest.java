package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The second field guide's /etc/ha.d, verbatim, and the ways a broken one is refused. */
class HaConfigTest {

    @TempDir
    Path dir;

    /** Copies the guide's files into {@code dir} and does the guide's chmod 600 on authkeys. */
    private void guideFiles() throws IOException {
        for (String name : List.of("ha.cf", "authkeys", "haresources")) {
            try (InputStream in = getClass().getResourceAsStream("/ha/guide/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        Files.setPosixFilePermissions(dir.resolve("authkeys"), PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void readsTheGuidesFilesAsWritten() throws IOException {
        guideFiles();
        HaConfig c = HaConfig.load(dir, "lvs-ldir02.hl.local");

        assertThat(c.self()).isEqualTo("lvs-ldir02.hl.local");
        assertThat(c.peer()).isEqualTo("lvs-ldir01.hl.local");
        assertThat(c.preferred()).isFalse();
        assertThat(c.cf().keepalive()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.cf().deadtime()).isEqualTo(Duration.ofSeconds(6));
        assertThat(c.cf().udpport()).isEqualTo(694);
        assertThat(c.cf().autoFailback()).isFalse();
        assertThat(c.cf().media()).containsExactly(new HeartbeatMedium.Broadcast("eth0", 694));
        assertThat(c.resources().preferredNode()).isEqualTo("lvs-ldir01.hl.local");
        assertThat(c.resources().vips()).extracting(v -> v.address().getHostAddress()).containsExactly("10.8.8.45");
        assertThat(c.resources().ldirectordConfig()).contains(dir.resolve("ldirectord.cf"));
        // The sample authkeys, uncommented, says auth 1 = crc: lbd signs with the sha1 key instead and says so.
        assertThat(c.keys().sendKey().method()).isEqualTo(AuthMethod.SHA1);
        assertThat(c.keys().sendKey().id()).isEqualTo(2);
        assertThat(c.keys().keys()).containsOnlyKeys(2, 3);
        assertThat(c.warnings()).anyMatch(w -> w.contains("crc") && w.contains("sha1"));
    }

    @Test
    void theOtherNodeIsPreferred() throws IOException {
        guideFiles();
        HaConfig c = HaConfig.load(dir, "lvs-ldir01.hl.local");
        assertThat(c.preferred()).isTrue();
        assertThat(c.peer()).isEqualTo("lvs-ldir02.hl.local");
    }

    @Test
    void refusesAnUnknownNodeName() throws IOException {
        guideFiles();
        assertThatThrownBy(() -> HaConfig.load(dir, "lvs-ldir09"))
                .isInstanceOf(HaConfigException.class)
                .hasMessageContaining("this node, lvs-ldir09, is not among the node lines")
                .hasMessageContaining("--ha-node");
    }

    @Test
    void refusesAuthkeysReadableByOthers() throws IOException {
        guideFiles();
        Files.setPosixFilePermissions(dir.resolve("authkeys"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> HaConfig.load(dir, "lvs-ldir01.hl.local"))
                .isInstanceOf(HaConfigException.class)
                .hasMessageContaining("authkeys: readable or writable by others")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void reportsEveryMissingFileAtOnce() {
        assertThatThrownBy(() -> HaConfig.load(dir, "a"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems())
                        .hasSize(3)
                        .anyMatch(p -> p.contains("ha.cf: missing"))
                        .anyMatch(p -> p.contains("authkeys: missing"))
                        .anyMatch(p -> p.contains("haresources: missing")));
    }

    @Test
    void refusesAPreferredNodeOutsideTheCluster() throws IOException {
        guideFiles();
        Files.writeString(dir.resolve("haresources"), "lvs-ldir07 IPaddr::10.8.8.45\n");
        assertThatThrownBy(() -> HaConfig.load(dir, "lvs-ldir01.hl.local"))
                .hasMessageContaining("preferred node lvs-ldir07 is not among the node lines");
    }

    // ---- lbd's own lbd-ha.cf ----

    @Test
    void lbdsOwnFileMeansTheSameAsTheGuidesThree() throws IOException {
        guideFiles();
        HaConfig heartbeat = HaConfig.load(dir, "lvs-ldir02.hl.local");

        Path own = Files.createDirectories(dir.resolve("own"));
        Files.writeString(own.resolve("lbd-ha.cf"), """
                # the guide's ha.cf, haresources and authkeys in one file
                keepalive = 2
                deadtime = 6
                udpport = 694
                bcast = eth0
                auto_failback = off
                node = lvs-ldir01.hl.local lvs-ldir02.hl.local
                preferred = lvs-ldir01.hl.local
                vip = 10.8.8.45
                authkey = sha1 HI!
                """);
        Files.setPosixFilePermissions(own.resolve("lbd-ha.cf"), PosixFilePermissions.fromString("rw-------"));
        HaConfig lbd = HaConfig.load(own, "lvs-ldir02.hl.local");

        assertThat(lbd.cf()).isEqualTo(heartbeat.cf());
        assertThat(lbd.peer()).isEqualTo(heartbeat.peer());
        assertThat(lbd.resources().preferredNode()).isEqualTo(heartbeat.resources().preferredNode());
        assertThat(lbd.resources().vips()).isEqualTo(heartbeat.resources().vips());
        assertThat(lbd.keys().sendKey().method()).isEqualTo(heartbeat.keys().sendKey().method());
        assertThat(lbd.keys().sendKey().secret()).isEqualTo(heartbeat.keys().sendKey().secret());
    }

    @Test
    void lbdsOwnFileIsCheckedLikeHeartbeats() throws IOException {
        Files.writeString(dir.resolve("lbd-ha.cf"), """
                keepalive = 2
                bcast = eth0
                auto_failback = maybe
                node = a b
                vip = 10.0.0.300
                authkey = sha256 s
                colour = blue
                """);
        Files.setPosixFilePermissions(dir.resolve("lbd-ha.cf"), PosixFilePermissions.fromString("rw-r--r--"));
        String f = dir.resolve("lbd-ha.cf").toString();
        assertThatThrownBy(() -> HaConfig.load(dir, "a"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        f + ":5: resource 'IPaddr::10.0.0.300': '10.0.0.300' is not an IPv4 address",
                        f + ":7: unknown directive 'colour'; lbd-ha.cf takes ha.cf's directives and preferred, vip, authkey, authkeys (see High availability in README.md)",
                        f + ":3: auto_failback 'maybe' must be on or off",
                        f + ": no preferred node; write preferred = NODE (the node that normally serves)",
                        f + ": no vip; write vip = ADDRESS[/PREFIX[/INTERFACE]] for each service address",
                        f + ": holds the authkey but is readable or writable by others; chmod 600 " + f));
    }

    // ---- ha.cf ----

    private static HaCf cf(String text) {
        return HaCfParser.parse("ha.cf", text, new ArrayList<>());
    }

    private static final String MINIMAL = "bcast eth0\nauto_failback on\nnode a b\n";

    @Test
    void millisecondTimesAndOrderedUdpport() throws Exception {
        HaCf c = cf("keepalive 200ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\n"
                + "udpport 7694\nucast eth1 198.18.0.12\nbcast eth0 eth1\nmcast eth2 239.0.0.1 7694 1 0\nauto_failback on\nnode a\nnode b\n");
        assertThat(c.keepalive()).isEqualTo(Duration.ofMillis(200));
        assertThat(c.deadtime()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.warntime()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.initdead()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.udpport()).isEqualTo(7694);
        assertThat(c.media()).containsExactly(
                new HeartbeatMedium.Unicast("eth1", InetAddress.ofLiteral("198.18.0.12"), 7694),
                new HeartbeatMedium.Broadcast("eth0", 7694),
                new HeartbeatMedium.Broadcast("eth1", 7694),
                new HeartbeatMedium.Multicast("eth2", InetAddress.ofLiteral("239.0.0.1"), 7694, 1, false));
        assertThat(c.autoFailback()).isTrue();
        assertThat(c.nodes()).containsExactly("a", "b");
    }

    @Test
    void refusesMediaOnAnotherPortThanUdpport() {
        assertThatThrownBy(() -> cf("bcast eth0\nudpport 7694\nauto_failback on\nnode a b\n"))
                .hasMessage("ha.cf: broadcast eth0 uses port 694 but udpport is 7694; lbd listens on one port:"
                        + " put udpport before the bcast/ucast lines and give mcast the same port");
    }

    @Test
    void defaultsWhenTimesAreNotGiven() {
        HaCf c = cf(MINIMAL);
        assertThat(c.keepalive()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.deadtime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.initdead()).isEqualTo(c.deadtime());
        assertThat(c.udpport()).isEqualTo(694);
    }

    @Test
    void refusesUnknownDirectivesAndBadValuesWithTheirLines() {
        assertThatThrownBy(() -> cf("keepalive two\nfoo bar\n" + MINIMAL + "udpport 70000\ncrm on\n"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "ha.cf:1: keepalive: 'two' is not a time (write seconds, e.g. 2, or milliseconds, e.g. 500ms)",
                        "ha.cf:2: unknown directive 'foo' (heartbeat would refuse it too; see man ha.cf)",
                        "ha.cf:6: udpport: '70000' is not a UDP port (1-65535)",
                        "ha.cf:7: crm on asks for the Pacemaker cluster manager; lbd moves the haresources resources itself: write crm off"));
    }

    @Test
    void refusesAFileWithoutNodesMediaOrAutoFailback() {
        assertThatThrownBy(() -> cf("keepalive 2\n"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems())
                        .anyMatch(p -> p.startsWith("ha.cf: no node lines"))
                        .anyMatch(p -> p.startsWith("ha.cf: no heartbeat path"))
                        .anyMatch(p -> p.startsWith("ha.cf: auto_failback is not set")));
    }

    @Test
    void refusesDeadtimeNotLongerThanKeepalive() {
        assertThatThrownBy(() -> cf("keepalive 2\ndeadtime 2\n" + MINIMAL))
                .hasMessageContaining("deadtime (2s) must be longer than keepalive (2s)");
    }

    @Test
    void refusesMoreThanTwoNodes() {
        assertThatThrownBy(() -> cf("bcast eth0\nauto_failback on\nnode a b c\n"))
                .hasMessageContaining("lbd pairs exactly two directors");
    }

    @Test
    void warnsAboutHeartbeatFeaturesItDoesNotHave() {
        List<String> warnings = new ArrayList<>();
        HaCfParser.parse("ha.cf", "serial /dev/ttyS0\n" + MINIMAL, warnings);
        assertThat(warnings).containsExactly("ha.cf:1: serial is a heartbeat feature lbd does not have; ignored");
    }

    // ---- authkeys ----

    private static AuthKeys keys(String text) {
        return AuthKeys.parse("authkeys", text, new ArrayList<>());
    }

    @Test
    void authPicksTheSigningKey() {
        AuthKeys k = keys("auth 3\n1 md5 one\n3 sha256 three\n");
        assertThat(k.sendKey().id()).isEqualTo(3);
        assertThat(k.sendKey().method()).isEqualTo(AuthMethod.SHA256);
        assertThat(k.keys()).containsOnlyKeys(1, 3);
        assertThat(k.sendKey().toString()).doesNotContain("three");
    }

    @Test
    void refusesBrokenAuthkeys() {
        assertThatThrownBy(() -> keys("auth 4\n1 sha1\n2 rot13 x\n16 md5 y\n"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "authkeys:2: sha1 needs a secret: 1 sha1 SECRET",
                        "authkeys:3: unknown method 'rot13'; use sha1, md5 or lbd's sha256",
                        "authkeys:4: expected 'auth N' or 'N METHOD SECRET' with N from 1 to 15, found '16'",
                        "authkeys:1: auth 4 names a key that is not defined; add a line '4 sha1 SECRET'"));
        assertThatThrownBy(() -> keys("1 sha1 x\n")).hasMessageContaining("no auth line");
        assertThatThrownBy(() -> keys("auth 1\n1 crc\n")).hasMessageContaining("crc, which authenticates nothing");
    }

    // ---- haresources ----

    private static HaResources res(String text) {
        return HaResources.parse("haresources", text, Path.of("/etc/ha.d"));
    }

    @Test
    void readsIpaddrVariantsAndContinuations() {
        HaResources r = res("# comment\nnode1 IPaddr::10.0.0.1/24/eth1/10.0.0.255 \\\n   IPaddr2::10.0.0.2/255.255.255.0 10.0.0.3 ldirectord\n");
        assertThat(r.preferredNode()).isEqualTo("node1");
        assertThat(r.vips()).extracting(VipResource::toString)
                .containsExactly("10.0.0.1/24 dev eth1", "10.0.0.2/24", "10.0.0.3");
        assertThat(r.ldirectordConfig()).contains(Path.of("/etc/ha.d/ldirectord.cf"));
    }

    @Test
    void refusesResourcesItCannotCarry() {
        assertThatThrownBy(() -> res("n1 IPaddr::10.0.0.1 httpd Filesystem::/dev/sdb1::/data\nn2 IPaddr::10.0.0.9\n"))
                .isInstanceOfSatisfying(HaConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "haresources:1: resource 'httpd': lbd cannot run the resource script httpd; it carries IPaddr::VIP and ldirectord::FILE only (run other services outside HA)",
                        "haresources:1: resource 'Filesystem::/dev/sdb1::/data': lbd cannot run the resource script Filesystem; it carries IPaddr::VIP and ldirectord::FILE only (run other services outside HA)",
                        "haresources:2: a second resource group for node n2 (the first is for n1); lbd moves every resource together: put them on one line"));
        assertThatThrownBy(() -> res("n1 IPaddr::10.0.0.300\n")).hasMessageContaining("'10.0.0.300' is not an IPv4 address");
        assertThatThrownBy(() -> res("n1 IPaddr::10.0.0.3/33\n")).hasMessageContaining("'33' is not a netmask");
        assertThatThrownBy(() -> res("n1 ldirectord::x.cf\n")).hasMessageContaining("no IPaddr::VIP resource");
        assertThatThrownBy(() -> res("# nothing\n")).hasMessageContaining("no resource line");
    }

    /** Seen while writing HaFilesFuzzTest: "/".split("/") has no parts, and parts[0] threw. */
    @Test
    void refusesAResourceWithSlashesButNoAddress() {
        assertThatThrownBy(() -> res("n1 IPaddr::/\n")).isInstanceOfSatisfying(HaConfigException.class, e ->
                assertThat(e.problems()).containsExactly("haresources:1: resource 'IPaddr::/': '' is not an IPv4 address"));
        assertThatThrownBy(() -> res("n1 IPaddr2::///\n")).isInstanceOf(HaConfigException.class);
    }

    /**
     * Seen while writing HaFilesFuzzTest: a time past a long's range kept only its low 64 bits, and one past 292
     * years loaded but made HaNode's Duration.toNanos throw at start.
     */
    @Test
    void refusesATimeTooLongToCountInNanosecondsInsteadOfWrappingIt() {
        assertThatThrownBy(() -> HeartbeatTime.parse("18446744073709553616ms"))
                .hasMessage("'18446744073709553616ms' is too long (at most 9223372036854ms, about 292 years)");
        assertThatThrownBy(() -> HeartbeatTime.parse("1e999999999")).hasMessageContaining("is too long");
        assertThatThrownBy(() -> HeartbeatTime.parse("9223372036855")).hasMessageContaining("is too long");
        assertThat(HeartbeatTime.parse("9223372036854ms").toNanos()).isEqualTo(9_223_372_036_854_000_000L);
    }
}
