package lbd.dataplane.nat;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * How long connects to real servers take, for one service on one event loop: from starting the connect to the
 * connection being established (failed connects are not recorded). The loop's thread records into an
 * HdrHistogram {@link SingleWriterRecorder} (wait-free, no allocation); a reader takes the interval since its
 * last read and adds it to a cumulative total ({@link #addTo}).
 *
 * <p>Values are microseconds with two significant digits (1 % resolution, finer than any Prometheus bucket),
 * clamped to {@link #HIGHEST_MICROS}; that keeps each histogram at about 20 KB.
 */
final class ConnectLatency {

    /** Longer connects are recorded as this (connect timeouts are seconds, not minutes). */
    static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(1);
    static final int SIGNIFICANT_DIGITS = 2;

    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    // Reader side only (under this object's monitor; the writer never takes it).
    private Histogram recycled;

    /** Loop thread: one connect took {@code nanos}. */
    void record(long nanos) {
        recorder.recordValue(Math.clamp(TimeUnit.NANOSECONDS.toMicros(nanos), 1, HIGHEST_MICROS));
    }

    /** Reader: adds what was recorded since the previous call to {@code total}. */
    synchronized void addTo(Histogram total) {
        recycled = recorder.getIntervalHistogram(recycled);
        total.add(recycled);
    }

    /** A histogram with the same range and precision, for totals. */
    static Histogram newTotal() {
        return new Histogram(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    }
}
