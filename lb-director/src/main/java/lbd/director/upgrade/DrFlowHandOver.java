package lbd.director.upgrade;

/**
 * The direct-routing data path's established flows and persistence templates across {@code lbd upgrade}: the old
 * process saves them once its DR workers have stopped forwarding, the new one restores them before its workers
 * start, so that established DR connections keep their real servers. The bytes are the flow table's own versioned
 * format (the one a restart with {@code cleanstop=no} writes to the runtime directory); the hand-over only carries
 * them ({@link HandOverProtocol}'s {@code dr-flows} messages, in parts of any size).
 *
 * <p>Not wired yet: lbd upgrade refuses configurations with gate services until the flow codec exists. To wire it:
 * implement {@link #save} with the codec's export of every DR worker's flow table and the services' templates (on
 * the old side, after its workers stopped: {@link UpgradeCoordinator} calls it between "serving" and "released"),
 * {@link #restore} with its import into the new workers before they forward (the new side calls it when
 * "released" arrives, see {@link TakeOver#released}), then drop the gate refusal in {@link UpgradeCoordinator}.
 */
public interface DrFlowHandOver {

    /** Nothing to carry: no gate services, or no codec yet. */
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

    /** Old process: the flows and templates to hand over; empty when there are none. */
    byte[] save();

    /** New process: takes over what {@link #save} produced, before its DR workers forward. */
    void restore(byte[] saved);
}
