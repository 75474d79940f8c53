package lbd.dataplane.conn;

import java.util.Objects;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;

/**
 * One line of the connection table as IPVS shows it ({@code /proc/net/ip_vs_conn}, {@code ipvsadm -Lc}): a
 * connection lbd tracks (a NAT proxied connection, a DR flow) or a persistence template. Made only when a
 * listing asks for the table, by the thread that owns the entry; never on a packet's or a connection's path.
 *
 * @param client        the client's address and port; for a template the client network and port 0, as IPVS
 * @param service       the virtual service (its protocol is the entry's)
 * @param destination   the real server
 * @param state         IPVS's state name: ESTABLISHED, SYN_RECV, FIN_WAIT, ... ; NONE for a template
 * @param expiresMillis what is left of the entry's timeout, 0 or more
 */
public record ConnectionEntry(Endpoint client, VirtualServiceKey service, Endpoint destination, String state,
                              long expiresMillis) {

    public ConnectionEntry {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(state, "state");
        expiresMillis = Math.max(0, expiresMillis);
    }
}
