package lbd.director.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.VirtualService;
import lbd.dataplane.dr.xdp.XdpSocket;

/**
 * What a configuration needs of the kernel's capabilities, against what this process has: run as the packaged
 * service's unprivileged user, lbd would otherwise start and then fail on the first bind, packet socket or
 * address change, with an error far from its cause. Each missing capability is one line naming it, what needs
 * it, and how to give it.
 */
public final class CapabilityCheck {

    static final int CAP_NET_BIND_SERVICE = 10;
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_NET_RAW = 13;
    static final int CAP_IPC_LOCK = 14;
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_SYS_RESOURCE = 24;
    static final int CAP_BPF = 39;

    private CapabilityCheck() {
    }

    /** The problems of running {@code config} (with HA when {@code ha}) in this process; empty when none. */
    public static List<String> missing(ClusterConfig config, boolean ha) {
        OptionalLong effective = effectiveCapabilities(Path.of("/proc/self/status"));
        if (effective.isEmpty()) {
            return List.of(); // not Linux's /proc: nothing to compare; the operations themselves will say
        }
        return missing(config, ha, effective.getAsLong(),
                unprivilegedPortStart(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")));
    }

    static List<String> missing(ClusterConfig config, boolean ha, long effective, int unprivilegedPortStart) {
        List<String> problems = new ArrayList<>();
        List<String> lowPorts = new ArrayList<>();
        List<String> gate = new ArrayList<>();
        List<String> transparent = new ArrayList<>();
        for (VirtualService vs : config.virtualServices()) {
            if (vs.nat().transparent()) {
                transparent.add(vs.key().toString());
            }
            if (vs.forwarding() == ForwardingMethod.MASQ && vs.address().port() < unprivilegedPortStart) {
                lowPorts.add(vs.key().toString());
            }
            if (vs.forwarding().directRouted()) {
                gate.add(vs.key().toString());
            }
        }
        if (!lowPorts.isEmpty() && !has(effective, CAP_NET_BIND_SERVICE)) {
            problems.add("CAP_NET_BIND_SERVICE is missing: " + examples(lowPorts) + " listen below port "
                    + unprivilegedPortStart + "; " + HOW);
        }
        if (!gate.isEmpty() && !has(effective, CAP_NET_RAW)) {
            problems.add("CAP_NET_RAW is missing: the direct-routing services " + examples(gate)
                    + " need a packet socket; " + HOW);
        }
        if (!gate.isEmpty() && config.globals().xdp()) {
            // CAP_SYS_ADMIN stands for CAP_BPF before Linux 5.8; the program's attachment needs CAP_NET_ADMIN.
            if (!has(effective, CAP_BPF) && !has(effective, CAP_SYS_ADMIN)) {
                problems.add("CAP_BPF is missing: xdp=yes loads an XDP program and its maps for the direct-routing"
                        + " services " + examples(gate) + "; " + HOW_XDP);
            }
            if (!has(effective, CAP_NET_ADMIN)) {
                problems.add("CAP_NET_ADMIN is missing: xdp=yes attaches an XDP program to the interfaces; " + HOW);
            }
            if (!has(effective, CAP_IPC_LOCK)) {
                problems.add("CAP_IPC_LOCK is missing: xdp=yes pins " + (XdpSocket.UMEM_BYTES >> 20)
                        + " MiB of memory per AF_XDP socket (one per worker and interface); " + HOW_XDP);
            }
        }
        // The kernel lets either capability set IP_TRANSPARENT; CAP_NET_ADMIN is the one its documentation names.
        if (!transparent.isEmpty() && !has(effective, CAP_NET_ADMIN) && !has(effective, CAP_NET_RAW)) {
            problems.add("CAP_NET_ADMIN is missing: the transparent=yes services " + examples(transparent)
                    + " connect to their real servers from the clients' addresses (IP_TRANSPARENT); " + HOW);
        }
        if (ha && !has(effective, CAP_NET_ADMIN)) {
            problems.add("CAP_NET_ADMIN is missing: HA adds and removes the VIP addresses; " + HOW);
        }
        if (ha && !has(effective, CAP_NET_RAW)) {
            problems.add("CAP_NET_RAW is missing: HA announces a taken-over VIP with gratuitous ARP; " + HOW);
        }
        return problems;
    }

    private static final String HOW = "run lbd as root, or give it the capability (AmbientCapabilities= in the"
            + " systemd unit, as the packaged lbd.service does)";

    private static final String HOW_XDP = "run lbd as root, or give it the capability (a drop-in adding it to"
            + " AmbientCapabilities= and CapabilityBoundingSet=, systemctl edit lbd), or set xdp=no";

    static boolean has(long effective, int capability) {
        return (effective & (1L << capability)) != 0;
    }

    private static String examples(List<String> services) {
        return services.size() <= 3 ? String.join(", ", services)
                : String.join(", ", services.subList(0, 3)) + " and " + (services.size() - 3) + " more";
    }

    /** CapEff of /proc/self/status (hexadecimal), or empty when it cannot be read. */
    static OptionalLong effectiveCapabilities(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    return OptionalLong.of(Long.parseUnsignedLong(line.substring(7).trim(), 16));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: unknown
        }
        return OptionalLong.empty();
    }

    /** net.ipv4.ip_unprivileged_port_start (1024 unless changed); ports below it need CAP_NET_BIND_SERVICE. */
    static int unprivilegedPortStart(Path sysctl) {
        try {
            return Integer.parseInt(ProcValue.read(sysctl));
        } catch (IOException | NumberFormatException e) {
            return 1024;
        }
    }
}
