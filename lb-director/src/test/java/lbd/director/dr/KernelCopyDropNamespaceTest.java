package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link KernelCopyDrop} against the kernel, in network namespaces: a client and a director on one switch, the
 * client routing a VIP to the director, whose kernel neither holds the VIP nor forwards — as under direct routing.
 * Frames for a followed service are dropped at the director's ingress (its set element's counter counts them, the
 * IP layer's address-error counter does not); frames for any other port, and frames to another MAC (the VIP's
 * packets for a macvlan, say), still reach the IP layer; a change of services adds and removes only the elements
 * that changed (the others keep their counts) and the rules of the sets no longer in use; no other process may change the table; and the table is gone once the process that
 * made it is killed. Needs root and nft; skips otherwise.
 */
@Timeout(120)
class KernelCopyDropNamespaceTest {

    private static final String DIRECTOR = "198.18.0.71";
    private static final String VIP = "198.18.0.170";
    // A set element and its counter: "tcp . 198.18.0.170 . 80 counter packets 2" (no port: a port-0 service's).
    private static final Pattern ELEMENT = Pattern.compile("((?:tcp|udp) \\. [0-9a-f.:]+(?: \\. \\d+)?) counter packets (\\d+)");

    @Test
    void theKernelsCopyOfAServicesFramesIsDroppedAtIngressUntilTheOwnerDies() throws Exception {
        assumeTrue(Shell.isRoot(), "KernelCopyDropNamespaceTest needs root (network namespaces, nf_tables); skipped");
        assumeTrue(Shell.attempt(java.util.List.of("nft", "--version")).exitCode() == 0,
                "KernelCopyDropNamespaceTest needs nft (apt-get install nftables) to read the table; skipped");
        try (DrLab lab = new DrLab("kcd")) {
            lab.oneSwitch(DIRECTOR);
            lab.ok("cli", "ip", "route", "add", VIP + "/32", "via", DIRECTOR);
            Process child = lab.own(new ProcessBuilder(lab.java("dir", KernelCopyDropMain.class, "eth0"))
                    .redirectErrorStream(true).start());
            BlockingQueue<String> lines = lines(child);
            PrintWriter commands = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
            String opened = lines.poll(30, TimeUnit.SECONDS);
            assertThat(opened).as("the table, or why not").startsWith("TABLE lbd_dr_");
            String table = opened.substring("TABLE ".length());

            commands.println("follow tcp:" + VIP + ":80 udp:" + VIP + ":53 tcp:[fd00:198:18::170]:443 udp:" + VIP + ":0");
            assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("OK");
            String listing = lab.in("dir", "nft", "list", "table", "netdev", table).output();
            String mac = "ether daddr " + lab.in("dir", "cat", "/sys/class/net/eth0/address").output().trim();
            System.out.println("KernelCopyDropNamespaceTest: nft list table netdev " + table + "\n" + listing);
            assertThat(listing).contains("flags owner", "chain ingress_eth0 {",
                    "type filter hook ingress device \"eth0\" priority 100; policy accept;",
                    // nft leaves out "ether type ip": the address implies it.
                    mac + " meta l4proto . ip daddr . th dport @services4 counter packets 0 bytes 0 drop",
                    mac + " meta l4proto . ip daddr @addresses4 counter packets 0 bytes 0 drop",
                    mac + " meta l4proto . ip6 daddr . th dport @services6 counter packets 0 bytes 0 drop")
                    .doesNotContain("@addresses6 counter"); // no rule for a set without elements
            assertThat(counters(lab, table)).containsOnlyKeys("tcp . " + VIP + " . 80", "udp . " + VIP + " . 53",
                    "udp . " + VIP, "tcp . fd00:198:18::170 . 443");

            long errors = addressErrors(lab);
            sendUdp(lab, 53, 3);
            sendSyns(lab, 80, 2);
            sendUdp(lab, 54, 2); // the port-0 UDP service's
            assertThat(addressErrors(lab)).as("nothing reached the director's IP layer").isEqualTo(errors);
            // UDP :53 is looked up first, in the set of services with a port; the port-0 UDP service takes the rest.
            assertThat(counters(lab, table)).as("each service's counter").containsExactlyInAnyOrderEntriesOf(Map.of(
                    "tcp . " + VIP + " . 80", 2L, "udp . " + VIP + " . 53", 3L, "udp . " + VIP, 2L,
                    "tcp . fd00:198:18::170 . 443", 0L));

            // A frame to another MAC is not the workers' (they take their interface's own): left to the kernel.
            lab.ok("cli", "ip", "neigh", "replace", VIP, "lladdr", "02:00:00:00:00:99", "dev", "eth0");
            lab.ok("cli", "ip", "route", "replace", VIP + "/32", "dev", "eth0");
            lab.ok("dir", "ip", "link", "set", "eth0", "promisc", "on");
            sendSyns(lab, 80, 1);
            assertThat(counters(lab, table).get("tcp . " + VIP + " . 80")).as("not counted: another MAC's").isEqualTo(2L);
            lab.ok("dir", "ip", "link", "set", "eth0", "promisc", "off");
            lab.ok("cli", "ip", "route", "replace", VIP + "/32", "via", DIRECTOR);

            commands.println("follow udp:" + VIP + ":53");
            assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("OK");
            sendSyns(lab, 80, 1);
            sendUdp(lab, 53, 1);
            assertThat(addressErrors(lab)).as("the SYN, no longer dropped, fails in the IP layer").isEqualTo(errors + 1);
            assertThat(counters(lab, table)).as("one service left, its count kept")
                    .containsExactlyEntriesOf(Map.of("udp . " + VIP + " . 53", 4L));
            assertThat(lab.in("dir", "nft", "list", "table", "netdev", table).output()).as("one rule left")
                    .contains("@services4 counter").doesNotContain("@addresses4 counter", "@services6 counter");

            // Many services: 20,000 elements, in messages of 1,000, in one batch of ~500 KB.
            StringBuilder many = new StringBuilder("follow");
            for (int i = 0; i < 20_000; i++) {
                many.append(" tcp:198.19.").append(i / 250).append('.').append(1 + i % 250).append(":80");
            }
            commands.println(many);
            assertThat(lines.poll(30, TimeUnit.SECONDS)).isEqualTo("OK");
            assertThat(lab.in("dir", "nft", "list", "set", "netdev", table, "services4").output().split("counter packets")
                    .length - 1).as("elements").isEqualTo(20_000);

            assertThat(lab.in("dir", "nft", "delete", "table", "netdev", table).exitCode())
                    .as("another process cannot delete the owned table").isNotZero();

            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            await("the table gone with its owner").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !lab.in("dir", "nft", "list", "tables").output().contains(table));
        }
    }

    /** The IP layer's count of packets for an address this host neither has nor forwards to. */
    private static long addressErrors(DrLab lab) {
        String[] snmp = lab.in("dir", "cat", "/proc/net/snmp").output().split("\n");
        String[] names = snmp[0].split(" ");
        String[] values = snmp[1].split(" ");
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals("InAddrErrors")) {
                return Long.parseLong(values[i]);
            }
        }
        throw new AssertionError("no InAddrErrors in /proc/net/snmp");
    }

    /** Each set element's packets, by its key as nft writes it. */
    private static Map<String, Long> counters(DrLab lab, String table) {
        Matcher m = ELEMENT.matcher(lab.in("dir", "nft", "list", "table", "netdev", table).output());
        Map<String, Long> out = new java.util.HashMap<>();
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return out;
    }

    /** {@code n} datagrams to the VIP's port, from the client. */
    private static void sendUdp(DrLab lab, int port, int n) {
        lab.ok("cli", "python3", "-c", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                + "for i in range(" + n + "): s.sendto(b'x', ('" + VIP + "', " + port + "))");
    }

    /** {@code n} SYNs to the VIP's port (one each from a non-blocking connect, closed before it could retry). */
    private static void sendSyns(DrLab lab, int port, int n) {
        lab.ok("cli", "python3", "-c", "import socket, time\nfor i in range(" + n + "):\n"
                + "    s = socket.socket(); s.setblocking(False); s.connect_ex(('" + VIP + "', " + port + "))\n"
                + "    time.sleep(0.1); s.close()");
    }

    private static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> q = new ArrayBlockingQueue<>(64);
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    q.offer(l);
                }
            } catch (java.io.IOException e) {
                // the child ended
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }
}
