package lbd.config.model;

/**
 * How a real server is reached ({@code gate|masq|ipip} on a {@code real=} line).
 * GATE is served by the DR data path, MASQ by the NAT proxy; the choice is made once, when a table is built.
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

    /** The word ipvsadm prints in its Forward column. */
    public String listingName() {
        return listingName;
    }
}
