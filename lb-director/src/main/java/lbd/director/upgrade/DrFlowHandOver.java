package lbd.director.upgrade;

/**
 * The direct-routing data path's established flows and persistence templates across {@code lbd upgrade}: the old
 * process saves them once its DR workers have stopped forwarding, the new one restores them before its workers
 * start, so that established DR connections keep their real servers. The bytes are the flow table's own versioned
 * format (the one a restart with {@code cleanstop=no} writes to the runtime directory); the hand-over only carries
 * them ({@link HandOverProtocol}'s {@code dr-flows} messages, in parts of any size).
 *
 * <p>Exactly one process forwards at any moment: the old one holds its DR workers (no forwarding, no ARP answers)
 * before it saves, and the new one's start held until it has restored (lbd.director.core.DrFlowsThroughFile).
 */
public interface DrFlowHandOver {

    /** Nothing to carry (tests without a direct-routing data path). */
    DrFlowHandOver NONE = new DrFlowHandOver() {
        @Override
        public byte[] save() {
            return new byte[0];
        }

        @Override
        public void restore(byte[] saved) {
            if (saved.length > 0) {
                throw new IllegalStateException("this lbd cannot read the direct-routing flows handed over ("
                        + saved.length + " bytes)");
            }
        }
    };

    /**
     * Old process: its DR workers stop forwarding (from here on only the new process schedules); {@link #save}
     * holds them too, for callers that need nothing in between.
     */
    default void hold() {
    }

    /** Old process: the flows and templates to hand over; empty when there are none. */
    byte[] save();

    /**
     * New process: takes over what {@link #save} produced, then lets its DR workers forward — also when the bytes
     * cannot be read (the old process forwards no more either way).
     */
    void restore(byte[] saved);

    /** Old process, after {@link #save}: the hand-over did not happen (the new process is gone); forward again. */
    default void resume() {
    }
}
