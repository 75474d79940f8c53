package lbd.dataplane.conn;

import java.util.List;

/**
 * What one owner of connections (an event loop, a DR worker, a service's templates) listed: at most the limit
 * it was given, and how many it had in all, so that a listing cut at its limit can say so.
 */
public record ConnectionEntries(List<ConnectionEntry> listed, long total) {

    public static final ConnectionEntries NONE = new ConnectionEntries(List.of(), 0);

    public ConnectionEntries {
        listed = List.copyOf(listed);
    }
}
