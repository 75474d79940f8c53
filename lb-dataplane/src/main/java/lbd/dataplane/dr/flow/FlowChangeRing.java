package lbd.dataplane.dr.flow;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * One DR worker's changes for the backup director, on their way to the connection sync: the worker (its
 * {@link FlowTable}'s {@link FlowTable.ChangeListener}) writes each change as a {@link FlowRecords} record into the
 * next slot, followed by the persistence template that controls the connection, if any; the sync thread drains them into its batches. Single producer, single consumer, fixed memory: a slot
 * per record, indices published with release stores and read with acquire loads. When the sync falls behind and
 * the ring is full, a change is dropped and counted (the connection is sent again at its next change or refresh,
 * and whole at the next resync). Off until the sync {@link #enable}s it: without HA a change costs one volatile
 * read and the ring no memory.
 */
public final class FlowChangeRing implements FlowTable.ChangeListener {

    private static final int SLOT = FlowRecords.recordLength(false);
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle DROPPED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(FlowChangeRing.class, "head", long.class);
            TAIL = l.findVarHandle(FlowChangeRing.class, "tail", long.class);
            DROPPED = l.findVarHandle(FlowChangeRing.class, "dropped", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ByteBuffer slots; // allocated by enable(), published by its volatile write: no memory without HA
    private final int mask;
    private volatile boolean enabled;
    @SuppressWarnings("unused") private long head; // next slot to read (consumer)
    @SuppressWarnings("unused") private long tail; // next slot to write (producer)
    @SuppressWarnings("unused") private long dropped;

    /** @param capacity slots, a power of two */
    public FlowChangeRing(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        mask = capacity - 1;
    }

    /** From now on changes are kept (the connection sync started). One thread, once (later calls do nothing). */
    public synchronized void enable() {
        if (!enabled) {
            slots = ByteBuffer.allocate((mask + 1) * SLOT);
            enabled = true;
        }
    }

    /** Producer (the worker): one change of entry {@code e}. Allocates nothing. */
    @Override
    public void changed(FlowTable table, int e, long nowMillis) {
        if (!enabled) {
            return;
        }
        long t = (long) TAIL.get(this); // only this thread writes it
        int records = table.controlled(e) ? 2 : 1; // a connection's template goes with it, as in IPVS
        if (t + records - 1 - (long) HEAD.getAcquire(this) > mask) {
            DROPPED.setRelease(this, (long) DROPPED.get(this) + 1);
            return;
        }
        if (table.putRecord(slots, (int) (t & mask) * SLOT, e, nowMillis) == 0) {
            return;
        }
        t++;
        if (records == 2 && table.putTemplateRecord(slots, (int) (t & mask) * SLOT, e, nowMillis) > 0) {
            t++;
        }
        TAIL.setRelease(this, t);
    }

    /**
     * Consumer (the sync thread): appends waiting records to {@code w} while they fit; returns how many. The
     * records stay in the ring until appended.
     */
    public int drainTo(FlowRecords.Writer w) {
        if (!enabled) {
            return 0;
        }
        long h = (long) HEAD.get(this);
        long t = (long) TAIL.getAcquire(this);
        int n = 0;
        while (h < t) {
            int at = (int) (h & mask) * SLOT;
            boolean ipv4 = slots.get(at + 1) == 4;
            if (!w.records(slots, at, FlowRecords.recordLength(ipv4), 1)) {
                break;
            }
            h++;
            n++;
        }
        HEAD.setRelease(this, h);
        return n;
    }

    /** Changes dropped because the ring was full. Any thread. */
    public long dropped() {
        return (long) DROPPED.getAcquire(this);
    }
}
