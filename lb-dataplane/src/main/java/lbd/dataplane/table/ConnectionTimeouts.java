package lbd.dataplane.table;

/**
 * IPVS's three settable connection timeouts ({@code ipvsadm --set tcp tcpfin udp}), in seconds: an established TCP
 * connection's ({@code ESTABLISHED}), a TCP connection's after the client's FIN ({@code FIN_WAIT}), and a UDP
 * flow's. The other TCP states keep IPVS's fixed timeouts. Published in every snapshot; the DR workers apply them
 * to their flow tables, and the udp one is also the idle timeout of the NAT proxy's UDP flows of every service
 * without idletimeout= (built into their tables).
 */
public record ConnectionTimeouts(int tcpSeconds, int tcpFinSeconds, int udpSeconds) {

    /** ipvsadm's limit on a timeout: 31 days. */
    public static final int MAX_SECONDS = 86_400 * 31;

    /** The kernel's defaults ({@code ipvsadm -L --timeout} on a fresh kernel: 900 120 300). */
    public static final ConnectionTimeouts DEFAULTS = new ConnectionTimeouts(900, 120, 300);

    public ConnectionTimeouts {
        check(tcpSeconds, "tcp");
        check(tcpFinSeconds, "tcpfin");
        check(udpSeconds, "udp");
    }

    /** As ipvsadm --set: a value of 0 leaves that timeout as it is. */
    public ConnectionTimeouts with(int tcp, int tcpFin, int udp) {
        return new ConnectionTimeouts(tcp == 0 ? tcpSeconds : tcp, tcpFin == 0 ? tcpFinSeconds : tcpFin,
                udp == 0 ? udpSeconds : udp);
    }

    private static void check(int seconds, String name) {
        if (seconds < 1 || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException(name + " timeout out of range (1 to " + MAX_SECONDS + " s): " + seconds);
        }
    }
}
