package lbd.config.model;

import java.util.Locale;
import java.util.Optional;

/** The IPVS scheduling algorithms by their ipvsadm names: lbd runs every one of them. */
public enum SchedulerKind {
    RR, WRR, LC, WLC, SED, NQ, FO, OVF, SH, MH, DH, TWOS, LBLC, LBLCR;

    /** Every scheduler, for messages: "rr, wrr, ... lblc or lblcr". */
    public static String names() {
        StringBuilder s = new StringBuilder();
        SchedulerKind[] all = values();
        for (int i = 0; i < all.length; i++) {
            s.append(i == 0 ? "" : i == all.length - 1 ? " or " : ", ").append(all[i].configName());
        }
        return s.toString();
    }

    /** What the scheduler does, as IPVS's ip_vs_*.c does it, in one phrase (lbd --check, the README). */
    public String meaning() {
        return switch (this) {
            case RR -> "round robin over the servers with weight > 0";
            case WRR -> "weighted round robin";
            case LC -> "least connections (active*256 + inactive)";
            case WLC -> "least connections (active*256 + inactive) per weight";
            case SED -> "shortest expected delay, least (active + 1) / weight";
            case NQ -> "never queue: the first server with no active connection, else as sed";
            case FO -> "weighted failover: the highest weight";
            case OVF -> "overflow: the highest weight among servers with no more active connections than their weight";
            case SH -> "source hashing over 256 buckets dealt by weight";
            case MH -> "Maglev hashing";
            case DH -> "destination hashing (the VIP: one server per service)";
            case TWOS -> "power of two choices: two drawn by weight, the less loaded per weight";
            case LBLC -> "locality-based least connections (one entry per VIP)";
            case LBLCR -> "locality-based least connections with replication (one set per VIP)";
        };
    }

    /** The ipvsadm name: rr, wrr, ... */
    public String configName() {
        return this == TWOS ? "twos" : name().toLowerCase(Locale.ROOT);
    }

    public static Optional<SchedulerKind> fromConfigName(String name) {
        for (SchedulerKind k : values()) {
            if (k.configName().equalsIgnoreCase(name)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
