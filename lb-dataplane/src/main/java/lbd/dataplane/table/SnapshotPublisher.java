package lbd.dataplane.table;

import java.util.Objects;

/**
 * Hands immutable snapshots from the one control-plane thread to the data-plane workers.
 * Publishing is a volatile write; a worker's check is a volatile read — no lock on either side.
 */
public final class SnapshotPublisher {

    private volatile DataPlaneSnapshot current = DataPlaneSnapshot.EMPTY;

    public DataPlaneSnapshot current() {
        return current;
    }

    /** Control plane only. The version must increase so that workers notice the change. */
    public void publish(DataPlaneSnapshot next) {
        Objects.requireNonNull(next, "next");
        if (next.version() <= current.version()) {
            throw new IllegalArgumentException(
                    "snapshot version " + next.version() + " is not newer than " + current.version());
        }
        current = next;
    }
}
