package lbd.director.dr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import lbd.dataplane.dr.DrInterface;

/**
 * Whether the interfaces the DR data path bound its sockets to at start are still those interfaces. A packet socket
 * is bound to an interface's index: when the interface goes down and up it receives again, but when the interface is
 * removed (Debian's {@code ifdown} of a VLAN or bond interface deletes it, {@code ifup} creates it anew with another
 * index) it never does, and lbd would go on without direct routing on it, silently. IPVS, which hooks the IP stack
 * rather than an interface, does not notice. So the DR thread asks every few seconds, and each change is logged once,
 * with what to do: {@code lbd upgrade} starts a new process, which binds to the interfaces as they are now and takes
 * the connections over.
 *
 * <p>Owned by one thread (the DR thread).
 */
public final class BoundInterfaces {

    /** An interface's index now; {@link #GONE} when there is no interface of that name. */
    public static final int GONE = 0;

    private final List<DrInterface> bound;
    private final ToIntFunction<String> currentIndex;
    /** The index each interface had when last reported (its bound index until then). */
    private final Map<String, Integer> lastSeen = new HashMap<>();

    public BoundInterfaces(List<DrInterface> bound, ToIntFunction<String> currentIndex) {
        this.bound = List.copyOf(bound);
        this.currentIndex = currentIndex;
        for (DrInterface i : bound) {
            lastSeen.put(i.name(), i.index());
        }
    }

    /**
     * The host's interfaces, as the kernel lists them in lbd's network namespace ({@link HostInterface#indexOf}:
     * /sys/class/net, which has an interface without an address too, where the JDK's NetworkInterface does not).
     */
    public static BoundInterfaces ofHost(List<DrInterface> bound) {
        return new BoundInterfaces(bound, name -> HostInterface.indexOf(name).orElse(GONE));
    }

    /** What changed since the last call, one line per interface to log (none when nothing did). */
    public List<String> changes() {
        List<String> lines = new ArrayList<>();
        for (DrInterface i : bound) {
            int now = currentIndex.applyAsInt(i.name());
            int before = lastSeen.put(i.name(), now);
            if (now == before) {
                continue;
            }
            if (now == i.index()) { // created again with its old index (ip link add ... index N)
                lines.add(("direct routing: %s is back as index %d, the one lbd bound to; lbd's sockets were bound to"
                        + " the interface removed, so run lbd upgrade, or restart lbd").formatted(i.name(), now));
            } else if (now == GONE) {
                lines.add(("direct routing: %s (index %d) was removed: lbd no longer receives or sends on it, and"
                        + " will not when an interface of that name is created again. Run lbd upgrade once it is"
                        + " (a new lbd process binds to it and takes the connections over), or restart lbd")
                        .formatted(i.name(), i.index()));
            } else {
                lines.add(("direct routing: %s was removed and created again (index %d, lbd bound to %d): lbd does"
                        + " not receive or send on the new one. Run lbd upgrade (a new lbd process binds to it and"
                        + " takes the connections over), or restart lbd").formatted(i.name(), now, i.index()));
            }
        }
        return lines;
    }
}
