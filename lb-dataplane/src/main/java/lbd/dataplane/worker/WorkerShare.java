package lbd.dataplane.worker;

import lbd.config.model.ConnectionThresholds;
import lbd.dataplane.counter.DestinationCounters;

/**
 * How a limit set for the whole director is split over its workers (NAT event loops, or DR workers), each of
 * which counts only its own connections: worker {@code index} of {@code count} gets {@code total / count}, the
 * first {@code total % count} one more, so that the shares add up to the limit exactly. Used for maxconns= and
 * for the real servers' connection thresholds: no worker ever writes a count another one reads, and the sum over
 * the workers never exceeds the limit. The kernel spreads clients over the workers by hash (SO_REUSEPORT, the
 * packet fan-out), so the shares fill together; one may refuse while another still has room.
 */
public final class WorkerShare {

    private WorkerShare() {
    }

    /** Worker {@code index}'s share of {@code total} (>= 0). */
    public static int of(int total, int index, int count) {
        return total / count + (index < total % count ? 1 : 0);
    }

    /**
     * This worker's upper threshold for {@link DestinationCounters#limit}: {@link DestinationCounters#UNLIMITED}
     * without one, else its share (0 when the threshold is below the number of workers and this worker's share
     * is empty: it sends the server nothing).
     */
    public static int upper(ConnectionThresholds t, int index, int count) {
        return t.upper() == 0 ? DestinationCounters.UNLIMITED : of(t.upper(), index, count);
    }

    /**
     * This worker's lower threshold: 0 without one (three quarters of the upper share), else its share but at
     * least 1, so that a worker whose share of a small lower threshold is empty still returns the server once its
     * own connections to it are all gone.
     */
    public static int lower(ConnectionThresholds t, int index, int count) {
        return t.lower() == 0 ? 0 : Math.max(1, of(t.lower(), index, count));
    }
}
