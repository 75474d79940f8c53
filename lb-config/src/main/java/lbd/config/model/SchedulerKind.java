package lbd.config.model;

import java.util.Locale;
import java.util.Optional;

/** The IPVS scheduling algorithms by their ipvsadm names; {@link #implemented()} says which lbd runs today. */
public enum SchedulerKind {
    RR(true), WRR(true), LC(true), WLC(true),
    SED(false), NQ(false), SH(false), DH(false), LBLC(false), LBLCR(false), MH(false), FO(false), OVF(false), TWOS(false);

    private final boolean implemented;

    SchedulerKind(boolean implemented) {
        this.implemented = implemented;
    }

    public boolean implemented() {
        return implemented;
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
