package lbd.config.model;

/**
 * How a real server is reached ({@code gate|masq|ipip} on a {@code real=} line).
 * GATE and IPIP are served by the DR data path, MASQ by the NAT proxy; the choice is made once, when a table is
 * built.
 */
public enum ForwardingMethod {
    GATE("gate", "Route"),
    MASQ("masq", "Masq"),
    IPIP("ipip", "Tunnel");

    private final String configName;
    private final String listingName;

    ForwardingMethod(String configName, String listingName) {
        this.configName = configName;
        this.listingName = listingName;
    }

    /** The word used in ldirectord.cf. */
    public String configName() {
        return configName;
    }

    /**
     * Whether a real server on {@code realPort} can serve a virtual service on {@code virtualPort}: direct routing
     * only rewrites the frame's MAC and tunnelling only wraps the packet, so the port stays the client's (IPVS
     * refuses such a destination too); masq maps ports. The one statement of this rule: the file, lbadm and the DR
     * data plane all ask it.
     */
    public boolean keepsPortOf(int virtualPort, int realPort) {
        return this == MASQ || virtualPort == realPort;
    }

    /** Whether the DR data path (packets forwarded as they are, answers bypassing lbd) serves it: gate and ipip. */
    public boolean directRouted() {
        return this != MASQ;
    }

    /** The word ipvsadm prints in its Forward column. */
    public String listingName() {
        return listingName;
    }
}
