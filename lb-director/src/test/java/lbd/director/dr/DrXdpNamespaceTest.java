package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lbd with {@code xdp=yes}, in network namespaces: a client, a director and a gate real server on one switch. The
 * XDP program is attached to the director's interface while lbd runs, and gone once lbd is killed; the service's
 * frames reach the workers through it: its requests are answered, and none of their frames reaches the ingress
 * hook behind XDP, where the kernel-copy drop's counter for the service would count it (without xdp=yes it counts
 * every frame); the client's TCP leaves its checksums to the NIC, and the workers finish them. The client's uploads,
 * whose TSO frames are longer than a 1500-byte MTU's, are left by the program to the packet sockets, whose fanout
 * gives them to the worker that has the rest of the connection, and arrive whole; sent again a segment per frame, they
 * all take XDP and leave through the AF_XDP socket they came in on, from where they lie. Needs root and nft; skips
 * otherwise.
 */
@Timeout(120)
class DrXdpNamespaceTest {

    private static final String VIP = "198.18.0.80";
    private static final int UPLOAD = 4_000_000;
    // The kernel-copy drop's element for the service and its counter: "tcp . 198.18.0.80 . 80 counter packets 0".
    private static final Pattern ELEMENT = Pattern.compile("tcp \\. 198\\.18\\.0\\.80 \\. 80 counter packets (\\d+)");
    // Four connections (its argument) the first time: with two workers, the frames of each reach one worker by both
    // paths only when the packet sockets' fanout follows the receive queue; by flow hash, three in four connections
    // would be split between two.
    private static final String UPLOADER = String.join("\n",
            "import socket, sys",
            "for i in range(int(sys.argv[1])):",
            "    c = socket.create_connection(('" + VIP + "', 9000), timeout=10)",
            "    c.sendall(b'x' * " + UPLOAD + "); c.shutdown(socket.SHUT_WR)",
            "    print(c.recv(100).decode()); c.close()",
            "");

    @Test
    void theServicesFramesComeThroughAfXdpUntilLbdIsKilled() throws Exception {
        assumeTrue(Shell.isRoot(), "DrXdpNamespaceTest needs root (network namespaces, AF_XDP); skipped");
        assumeTrue(Shell.attempt(java.util.List.of("nft", "--version")).exitCode() == 0,
                "DrXdpNamespaceTest needs nft (apt-get install nftables) to read the drop's counters; skipped");
        DrLab lab = new DrLab("afxdp");
        boolean passed = false;
        try {
            lab.oneSwitch("198.18.0.81");
            lab.gateServer("rs", "198.18.0.82", VIP);
            lab.webServer("rs", 80, lab.webRoot("RS"), false);
            Path sink = Files.writeString(lab.tmp.resolve("sink.py"), DrLab.COUNTING_SINK);
            Path uploader = Files.writeString(lab.tmp.resolve("upload.py"), UPLOADER);
            lab.spawn("rs", "python3", sink.toString(), "RS");
            lab.awaitListening("rs", 9000);
            Process lbd = lab.startLbd("dir", "xdp=yes", "eventloops=2", "interface=eth0",
                    "virtual=" + VIP + ":80", " real=198.18.0.82:80 gate", " checktype=on", " scheduler=rr",
                    "virtual=" + VIP + ":9000", " real=198.18.0.82:9000 gate", " checktype=on");
            await("lbd answers on its control socket").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !lbd.isAlive() || lab.listing().contains("198.18.0.82:80"));
            assertThat(lbd.isAlive()).as("lbd runs").isTrue();
            assertThat(lab.lbdLog()).contains(
                    "AF_XDP (eth0 queue 0: 1 of 2 workers, one per receive queue), the rest through TPACKET_V3 rings");
            assertThat(lab.in("dir", "ip", "link", "show", "eth0").output()).contains("xdpgeneric");

            assertThat(lab.gets("cli", 5, "http://" + VIP + "/")).containsOnly("This is RS").hasSize(5);
            String table = tableName(lab.lbdLog());
            Matcher counted = ELEMENT.matcher(lab.in("dir", "nft", "list", "table", "netdev", table).output());
            assertThat(counted.find()).as("the service's element in nft table netdev %s", table).isTrue();
            assertThat(counted.group(1)).as("frames of the service that went past XDP").isEqualTo("0");
            // ... and they left through the worker's AF_XDP socket on eth0, not the packet socket: five connections
            // of at least five frames each way to the server (SYN, ACK, request, FIN, ACK).
            assertThat(counter(lab.listing("--json"), "sentThroughAfXdp")).as("frames sent through AF_XDP")
                    .isGreaterThanOrEqualTo(25).isLessThanOrEqualTo(counter(lab.listing("--json"), "forwarded"));

            assertThat(lab.in("cli", "python3", uploader.toString(), "4").assertOk("uploads").output().strip()
                    .split("\n")).containsOnly("RS got " + UPLOAD).hasSize(4);

            // Again with the client's TCP sending one segment per frame (no TSO aggregates): every frame of the
            // uploads now takes XDP, and leaves from where it lies in the AF_XDP socket's memory, the director being
            // one-armed: one upload is ~2,800 frames, more than the socket's receiving and sending frames together,
            // all through the sending frames' swap with the fill ring, each arriving once.
            long sentBefore = counter(lab.listing("--json"), "sentThroughAfXdp");
            lab.in("cli", "ip", "link", "set", "dev", "eth0", "gso_max_segs", "1").assertOk("gso_max_segs 1");
            assertThat(lab.in("cli", "python3", uploader.toString(), "1").assertOk("upload").output().strip())
                    .isEqualTo("RS got " + UPLOAD);
            assertThat(counter(lab.listing("--json"), "sentThroughAfXdp") - sentBefore)
                    .as("upload frames sent through AF_XDP").isGreaterThanOrEqualTo(UPLOAD / 1460);

            lbd.destroyForcibly();
            assertThat(lbd.waitFor(30, TimeUnit.SECONDS)).isTrue();
            // The link's descriptor closed with the process; the kernel releases the link right after.
            await("the XDP program is detached").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !lab.in("dir", "ip", "link", "show", "eth0").output().contains("xdpgeneric"));
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }

    /** A number in lbadm's JSON listing: {@code "name":N}. */
    static long counter(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as("%s in %s", name, json).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The kernel-copy drop's table, as lbd logs it: "(nft list table netdev lbd_dr_PID; ...". */
    private static String tableName(String log) {
        Matcher m = Pattern.compile("nft list table netdev (lbd_dr_\\d+)").matcher(log);
        assertThat(m.find()).as("lbd logs its drop table").isTrue();
        return m.group(1);
    }
}
