package lbd.director.demo;

/** The embedded configuration of {@code lbd --demo}: the first field guide's service, on one machine, in NAT mode. */
public final class DemoConfig {

    public static final String VIP = "127.0.0.1";
    public static final int VIP_PORT = 8080;

    private DemoConfig() {
    }

    /**
     * An ldirectord.cf for the demo, with the real servers on the given loopback ports. VM2 is listed first,
     * as in the field guide; IPVS puts the last-added server at the head of its list, so the first request
     * goes to VM3 — exactly the guide's output.
     */
    public static String text(int vm2Port, int vm3Port, int vipPort) {
        return text(vm2Port, vm3Port, vipPort, 0);
    }

    /** As above, with the status page and /metrics on 127.0.0.1:{@code metricsPort} (none when 0). */
    public static String text(int vm2Port, int vm3Port, int vipPort, int metricsPort) {
        String metrics = metricsPort == 0 ? "" : "# the status page and /metrics\nmetrics=127.0.0.1:" + metricsPort + "\n";
        return """
                # lbd --demo: the field guide's round-robin service, on loopback
                checktimeout=3
                # One event loop: each loop keeps its own rr position (per-core tables), so strict
                # alternation across consecutive connections is only guaranteed with one loop.
                eventloops=1
                checkinterval=1
                quiescent=no
%s
                virtual=%s:%d
                \treal=127.0.0.1:%d masq
                \treal=127.0.0.1:%d masq
                \tservice=http
                \trequest="index.html"
                \treceive="This is"
                \tscheduler=rr
                \tprotocol=tcp
                \tchecktype=negotiate
                """.formatted(metrics, VIP, vipPort, vm2Port, vm3Port);
    }
}
