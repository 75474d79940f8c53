package lbd.director.listing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;

/**
 * {@code lbadm -Lc}: the connection table in ipvsadm's layout (its {@code list_conn} and {@code print_conn}): the
 * line {@code IPVS connection entries}, a title, then one line per entry, {@code "%-3s %-6s %-11s %-18s %-18s %s"}
 * — protocol, expiry as minutes:seconds, IPVS's state name, source, virtual, destination. With
 * {@code --persistent-conn} the title has ipvsadm's two more columns (pe name, pe_data), which stay empty: lbd has no
 * persistence engine (IPVS's sip).
 *
 * <p>IPVS lists in its hash table's order; lbd sorts by virtual service, then source, then destination, so that
 * two listings compare line by line. At most {@link #LIMIT} entries are listed; a table with more ends with a line
 * that says how many were left out (the only line ipvsadm would not print).
 */
public final class ConnectionListing {

    /** The most entries one listing shows (and that its collection allocates per owner of connections). */
    public static final int LIMIT = 65_536;

    private static final Comparator<ConnectionEntry> ORDER = Comparator.comparing(ConnectionEntry::service)
            .thenComparing(ConnectionEntry::client).thenComparing(ConnectionEntry::destination);

    private ConnectionListing() {
    }

    /** Every owner's entries, sorted, cut at {@code limit}; {@code total} counts those left out as well. */
    public static ConnectionEntries merge(List<ConnectionEntries> owners, int limit) {
        List<ConnectionEntry> all = new ArrayList<>();
        long total = 0;
        for (ConnectionEntries owner : owners) {
            all.addAll(owner.listed());
            total += Math.max(owner.total(), owner.listed().size());
        }
        all.sort(ORDER);
        return new ConnectionEntries(all.size() > limit ? all.subList(0, limit) : all, total);
    }

    public static String format(ConnectionEntries table, boolean persistentConn, AddressNames names) {
        StringBuilder out = new StringBuilder(64 + 80 * table.listed().size());
        out.append("IPVS connection entries\n");
        if (persistentConn) {
            out.append(String.format("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual",
                    "destination", "pe name", "pe_data"));
        } else {
            out.append(String.format("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual",
                    "destination"));
        }
        for (ConnectionEntry e : table.listed()) {
            long seconds = e.expiresMillis() / 1000; // the kernel rounds down to whole seconds
            out.append(String.format("%-3s %-6s %-11s %-18s %-18s %s\n", e.service().protocol().name(),
                    String.format("%02d:%02d", seconds / 60, seconds % 60), e.state(),
                    names.name(e.client(), e.service().protocol()),
                    names.name(e.service().address(), e.service().protocol()),
                    names.name(e.destination(), e.service().protocol())));
        }
        if (table.total() > table.listed().size()) {
            out.append("lbd: ").append(table.listed().size()).append(" of ").append(table.total())
                    .append(" connection entries listed (lbadm -Lc lists at most ").append(LIMIT).append(")\n");
        }
        return out.toString();
    }
}
