package lbd.dataplane.persist;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;

/**
 * A persistent service's {@code persistent=} and {@code netmask=}, with the templates it keeps: clients whose
 * addresses agree in the first {@code prefixLength} bits are one client network and share a real server.
 *
 * @param timeoutMillis persistent=SECONDS, in milliseconds
 * @param prefixLength  netmask= as a prefix length: 0–32 for IPv4 (default 32; 0.0.0.0 makes every client one
 *                      network, as IPVS allows), 1–128 for IPv6 (default 128)
 * @param templates     the service's templates, the same instance across the tables the control plane builds
 *                      for it while it stays persistent
 */
public record Persistence(long timeoutMillis, int prefixLength, PersistenceTemplates templates) {

    public Persistence {
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be positive: " + timeoutMillis);
        }
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("prefixLength must be 0 to 128: " + prefixLength);
        }
        Objects.requireNonNull(templates, "templates");
    }

    /** The client network of an IPv4 address given as an int (DR: straight from the header): the low word. */
    public long networkLo(int ipv4) {
        int bits = Math.min(prefixLength, 32);
        int mask = (int) (0xFFFF_FFFFL << (32 - bits));
        return (ipv4 & mask) & 0xFFFF_FFFFL;
    }

    /**
     * Binds a new connection from {@code client} (NAT: the accepted socket's peer). IPv4 without allocating (the
     * address's hashCode is its 32 bits); IPv6 copies its 16 bytes once.
     */
    public void bind(InetAddress client, long nowMillis, PersistenceTemplates.Candidates candidates,
                     PersistenceTemplates.Binding out) {
        if (client instanceof Inet4Address) {
            templates.bind(0, networkLo(client.hashCode()), nowMillis, timeoutMillis, candidates, out);
            return;
        }
        byte[] a = client.getAddress();
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (a[i] & 0xFF);
            lo = (lo << 8) | (a[i + 8] & 0xFF);
        }
        bind(hi, lo, nowMillis, candidates, out);
    }

    /** Binds a new connection from an IPv6 client given as its two 64-bit halves (DR: straight from the header). */
    public void bind(long hi, long lo, long nowMillis, PersistenceTemplates.Candidates candidates,
                     PersistenceTemplates.Binding out) {
        int bits = prefixLength;
        long hiMask = bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits); // (a shift by 64 would be none)
        long loMask = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
        templates.bind(hi & hiMask, lo & loMask, nowMillis, timeoutMillis, candidates, out);
    }

    /**
     * A DR connection this service's template controlled where it was scheduled (a saved table, an upgrade, the
     * active director's sync) is tracked here now: controlled by the client network's template again, if it has
     * one. The client as the flow table keeps it ({@code clientHigh} = -1 for IPv4). Returns the handle.
     */
    public long join(long clientHigh, long clientLow, long nowMillis) {
        if (clientHigh == -1L) {
            return templates.join(0, networkLo((int) clientLow), nowMillis);
        }
        int bits = prefixLength;
        long hiMask = bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
        long loMask = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
        return templates.join(clientHigh & hiMask, clientLow & loMask, nowMillis);
    }

    /** Binds a new DR connection from an IPv4 client. */
    public void bind(int clientIpv4, long nowMillis, PersistenceTemplates.Candidates candidates,
                     PersistenceTemplates.Binding out) {
        templates.bind(0, networkLo(clientIpv4), nowMillis, timeoutMillis, candidates, out);
    }

    /**
     * The service's live templates as IPVS lists them (ipvsadm -Lc): state NONE, the client network with port 0,
     * the virtual service, the template's real server; at most {@code limit}. Listings only.
     */
    public ConnectionEntries describeTemplates(VirtualServiceKey service, long nowMillis, int limit) {
        List<ConnectionEntry> listed = new ArrayList<>();
        boolean ipv4 = service.address().isIpv4();
        int total = templates.forEachLive(nowMillis, limit, (hi, lo, server, expires) ->
                listed.add(new ConnectionEntry(new Endpoint(network(ipv4, hi, lo), 0), service, server.address(),
                        "NONE", expires)));
        return new ConnectionEntries(listed, total);
    }

    private static InetAddress network(boolean ipv4, long hi, long lo) {
        byte[] bytes = ipv4 ? new byte[4] : new byte[16];
        if (ipv4) {
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) (lo >>> (24 - 8 * i));
            }
        } else {
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (hi >>> (56 - 8 * i));
                bytes[i + 8] = (byte) (lo >>> (56 - 8 * i));
            }
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes are always an address
        }
    }
}
