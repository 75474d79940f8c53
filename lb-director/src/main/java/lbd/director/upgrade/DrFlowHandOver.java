package lbd.director.upgrade;

/**
 * The direct-routing data path's established flows and persistence templates across {@code lbd upgrade}: the old
 * process saves them once its DR workers have stopped forwarding, the new one restores them before its workers
 * start, so that established DR connections keep their real servers. The bytes are the flow table's own versioned
 * format (the one a restart with {@code cleanstop=no} writes to the runtime directory); the hand-over only carries
 * them ({@link HandOverProtocol}'s {@code dr-flows} messages, in parts of any size).
 *
 * <p>Not wired yet: lbd upgrade refuses configurations with gate services (Director#handOverRefusal) until the
 * flow state's save and restore exist. To wire it, three steps:
 * <ol>
 *   <li>{@link #save}, old side (called between "serving" and "released", see {@link UpgradeCoordinator}): stop
 *       this process's DR workers forwarding first — from then on only the new process may schedule, or one SYN
 *       would be scheduled by both, maybe to two real servers — then save the flow tables and templates (to a file
 *       in the runtime directory, with the restart's save) and return the file's bytes;
 *   <li>{@link #restore}, new side (when "released" arrives, see {@link TakeOver#released}): write the bytes to a
 *       file, restore from it, and only then let the DR workers forward — they start held (not forwarding, not
 *       answering ARP) when the process takes over, until this call;
 *   <li>drop the gate refusal. The gap — from the old workers' stop to the new ones' start — is the save, the
 *       transfer and the restore: packets in it are dropped and retransmitted by the clients.
 * </ol>
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
