package lbd.config.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The IPVS scheduling algorithms by their ipvsadm names; {@link #implemented()} says which lbd runs today. */
public enum SchedulerKind {
    RR(true), WRR(true), LC(true), WLC(true), SED(true), NQ(true), FO(true), OVF(true), SH(true), MH(true),
    DH(true), TWOS(true), LBLC(false), LBLCR(false);

    private final boolean implemented;

    SchedulerKind(boolean implemented) {
        this.implemented = implemented;
    }

    public boolean implemented() {
        return implemented;
    }

    /** The schedulers lbd runs, for messages: "rr, wrr, ..., dh or twos". */
    public static String implementedNames() {
        StringBuilder s = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (SchedulerKind k : values()) {
            if (k.implemented) {
                names.add(k.configName());
            }
        }
        for (int i = 0; i < names.size(); i++) {
            s.append(i == 0 ? "" : i == names.size() - 1 ? " or " : ", ").append(names.get(i));
        }
        return s.toString();
    }

    /** The one refusal of a scheduler lbd does not run, wherever it is asked for (file, lbadm, a table). */
    public String notSupported() {
        return "scheduler " + configName() + " is not supported yet; use " + implementedNames();
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
