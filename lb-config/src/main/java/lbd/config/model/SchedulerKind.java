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
