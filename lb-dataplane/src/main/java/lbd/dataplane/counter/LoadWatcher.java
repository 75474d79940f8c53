package lbd.dataplane.counter;

/**
 * Told when a real server's connection counts change, so that a least-connection scheduler can keep its
 * choice up to date as counts move instead of scanning every server at each pick. Called on the counters'
 * owner thread, inside the counter update.
 */
public interface LoadWatcher {

    /** The ActiveConn or InActConn count of the counters attached at {@code slot} changed. */
    void loadChanged(int slot);
}
