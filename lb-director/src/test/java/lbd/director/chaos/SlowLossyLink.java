package lbd.director.chaos;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import lbd.dataplane.dr.Shell;

/**
 * A slow, lossy link on one interface of a network namespace, made by the kernel: slow through {@code tc} — netem's
 * delay where the kernel has {@code sch_netem}, else a token bucket ({@code tbf}) at 64 kbit/s, some 20 ms a
 * packet, whose queue delays what exceeds the rate — and lossy through an nftables rule that drops 2 % of the TCP segments crossing it either
 * way, SYNs excepted.
 *
 * <p>Why SYNs are spared: a lost SYN or SYN-ACK costs the connect a whole second (the kernel's initial RTO), two in a
 * row three seconds, which is the health check's timeout: a check would then fail by chance and take the server out
 * (failurecount=1), and the test that the server stays in service would fail by chance too. A lost data segment
 * costs a retransmission of some 200 ms, which the requests and checks ride out as they would on a real lossy link.
 */
final class SlowLossyLink implements AutoCloseable {

    private static final String TABLE = "lbt_chaos_loss";
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");

    private final String netns;
    private final String device;
    /** What the link does, for assertion messages. */
    final String how;

    private SlowLossyLink(String netns, String device, String how) {
        this.netns = netns;
        this.device = device;
        this.how = how;
    }

    /** Makes {@code device} in {@code netns} slow and lossy; fails the test if the kernel can do neither. */
    static SlowLossyLink on(String netns, String device) {
        String slow = "netem delay 40ms 10ms";
        Shell.Result qdisc = Shell.inNetns(netns, "tc", "qdisc", "add", "dev", device, "root", "netem", "delay",
                "40ms", "10ms");
        if (qdisc.exitCode() != 0) {
            slow = "tbf rate 64kbit (no sch_netem here)";
            Shell.inNetns(netns, "tc", "qdisc", "add", "dev", device, "root", "tbf", "rate", "64kbit", "burst", "2kb",
                    "latency", "1s").assertOk("a 64 kbit/s token bucket on " + device);
        }
        SlowLossyLink link = new SlowLossyLink(netns, device, slow + ", 2 % of non-SYN TCP segments dropped");
        String[] lossy = {"meta", "l4proto", "tcp", "tcp", "flags", "&", "syn", "==", "0", "numgen", "random",
            "mod", "100", "<", "2", "counter", "drop"};
        try {
            nft(netns, "add", "table", "inet", TABLE);
            nft(netns, "add", "chain", "inet", TABLE, "in", "{ type filter hook input priority 0; }");
            nft(netns, "add", "chain", "inet", TABLE, "out", "{ type filter hook output priority 0; }");
            nft(netns, concat(new String[] {"add", "rule", "inet", TABLE, "in", "iifname", device}, lossy));
            nft(netns, concat(new String[] {"add", "rule", "inet", TABLE, "out", "oifname", device}, lossy));
        } catch (AssertionError e) {
            link.close();
            throw e;
        }
        return link;
    }

    private static void nft(String netns, String... args) {
        Shell.inNetns(netns, concat(new String[] {"nft"}, args)).assertOk("nft " + String.join(" ", args));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** Packets the loss rules dropped so far, both ways. */
    long dropped() {
        Matcher m = COUNTER.matcher(Shell.inNetns(netns, "nft", "list", "table", "inet", TABLE).output());
        long n = 0;
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    @Override
    public void close() {
        Shell.inNetns(netns, "tc", "qdisc", "del", "dev", device, "root");
        Shell.inNetns(netns, "nft", "delete", "table", "inet", TABLE);
    }
}
