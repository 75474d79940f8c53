package lbd.dataplane.table;

/**
 * Where the DR data path sends a gate or ipip destination's packets, as the control plane found it from the
 * kernel's routing and neighbour tables (the workers look nothing up): the interface, the MACs of the frame, and
 * for ipip the outer IPv4 header's addresses and the interface's MTU. Immutable; published in the tables, so a
 * route or neighbour change reaches the workers as a new snapshot.
 *
 * @param interfaceIndex    the kernel's index of the interface to send on; {@link #ARRIVAL_INTERFACE}: the one the
 *                          packet came in on (a single-interface director, or a table built without routes)
 * @param sourceMac         that interface's MAC (the frame's source); unused with {@link #ARRIVAL_INTERFACE}
 * @param nextHopMac        the frame's destination: the real server's MAC (gate), the MAC of the next hop of the
 *                          route to it (ipip); {@link Destination#NO_MAC} while not resolved,
 *                          {@link Destination#LOCAL_NODE} for a destination on the director itself
 * @param mtu               the interface's MTU (ipip: what the encapsulated packet must fit in); 0 when unknown
 * @param tunnelSource      ipip: the outer header's source, the director's address the route to the real server
 *                          prefers; 0 for gate
 * @param tunnelDestination ipip: the outer header's destination, the real server's address; 0 for gate
 * @param tunnelSource6High  ipip over IPv6 (an IPv6 service): the outer source's high 64 bits, as tunnelSource
 * @param tunnelSource6Low   its low 64 bits
 * @param tunnelDestination6High ipip over IPv6: the real server's address, high 64 bits; 0 and 0 otherwise
 * @param tunnelDestination6Low  its low 64 bits
 */
public record Egress(int interfaceIndex, long sourceMac, long nextHopMac, int mtu, int tunnelSource,
                     int tunnelDestination, long tunnelSource6High, long tunnelSource6Low,
                     long tunnelDestination6High, long tunnelDestination6Low) {

    /** In place of an interface index: the interface the packet arrived on. */
    public static final int ARRIVAL_INTERFACE = 0;

    /** Not resolved (yet): the destination gets no new connection. */
    public static final Egress UNRESOLVED = new Egress(ARRIVAL_INTERFACE, 0, Destination.NO_MAC, 0, 0, 0, 0, 0, 0, 0);

    /** A destination on the director itself (IPVS's local node). */
    public static final Egress LOCAL_NODE = new Egress(ARRIVAL_INTERFACE, 0, Destination.LOCAL_NODE, 0, 0, 0, 0, 0, 0,
            0);

    /** A gate destination reached on the interface the packet arrived on, at this MAC. */
    public static Egress sameLink(long mac) {
        return mac == Destination.NO_MAC ? UNRESOLVED : mac == Destination.LOCAL_NODE ? LOCAL_NODE
                : new Egress(ARRIVAL_INTERFACE, 0, mac, 0, 0, 0, 0, 0, 0, 0);
    }

    /** A gate destination on the directly connected network of interface {@code index}. */
    public static Egress gate(int index, long sourceMac, long serverMac, int mtu) {
        return new Egress(index, sourceMac, serverMac, mtu, 0, 0, 0, 0, 0, 0);
    }

    /** An ipip destination: IPv4-in-IPv4 from {@code source} to {@code server}, via {@code nextHopMac} on {@code index}. */
    public static Egress tunnel(int index, long sourceMac, long nextHopMac, int mtu, int source, int server) {
        return new Egress(index, sourceMac, nextHopMac, mtu, source, server, 0, 0, 0, 0);
    }

    /** An ipip destination of an IPv6 service: IPv6-in-IPv6 from {@code source} to {@code server} (high, low). */
    public static Egress tunnel6(int index, long sourceMac, long nextHopMac, int mtu, long sourceHigh, long sourceLow,
                                 long serverHigh, long serverLow) {
        return new Egress(index, sourceMac, nextHopMac, mtu, 0, 0, sourceHigh, sourceLow, serverHigh, serverLow);
    }

    /** Whether packets are encapsulated (ipip) rather than sent as they are (gate). */
    public boolean tunnels() {
        return tunnelDestination != 0 || tunnelsOverIpv6();
    }

    /** Whether the encapsulation is IPv6-in-IPv6. */
    public boolean tunnelsOverIpv6() {
        return (tunnelDestination6High | tunnelDestination6Low) != 0;
    }

    /** Whether a frame can be sent: the next hop's MAC is known. */
    public boolean resolved() {
        return nextHopMac != Destination.NO_MAC;
    }
}
