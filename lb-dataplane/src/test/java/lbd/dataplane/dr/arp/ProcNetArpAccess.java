package lbd.dataplane.dr.arp;

import java.util.List;
import java.util.Map;

/** Opens {@link ProcNetArp#parse} to tests in other packages. */
public final class ProcNetArpAccess {

    private ProcNetArpAccess() {
    }

    public static Map<Integer, Long> parse(List<String> lines, String interfaceName) {
        return ProcNetArp.parse(lines, interfaceName);
    }
}
