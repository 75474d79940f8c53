package lbd.config.model;

/**
 * proxyprotocol=: whether lbd's NAT proxy opens each connection to a real server with a PROXY protocol header
 * (HAProxy's {@code send-proxy} / {@code send-proxy-v2}), so that the real server learns the client's address.
 */
public enum ProxyProtocol {
    /** No header: the real server sees the director's address (or the client's with transparent=yes). */
    OFF("off"),
    /** The human-readable header: {@code PROXY TCP4 SRC DST SPORT DPORT\r\n}. */
    V1("v1"),
    /** The binary header (12-byte signature, family, addresses). */
    V2("v2");

    private final String configName;

    ProxyProtocol(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }
}
