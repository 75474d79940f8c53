package lbd.health;

/**
 * What the monitor was last told about one real server, kept by that server's checker so that it reports
 * only what an operator can see change: the state, maintenance, the reason text, or the first verdict. A
 * steady server (the same constant reason every check) therefore sends nothing. Owned by the checker's thread.
 */
final class PublishedVerdict {

    private HealthState state;
    private String reason;
    private boolean maintenance;
    private boolean checked;

    /** Starts from what the monitor publishes now (a restarted checker does not re-report an unchanged state). */
    PublishedVerdict(RealServerStatus current) {
        this.state = current.state();
        this.reason = current.reason();
        this.maintenance = current.maintenance();
        this.checked = current.checked();
    }

    /** @return whether this verdict differs from the last one told, which it now becomes */
    boolean update(HealthState newState, String newReason, boolean newMaintenance) {
        // Constant results keep their reason instance: the identity test settles the common case.
        boolean sameReason = newReason == reason || newReason.equals(reason);
        if (checked && newState == state && sameReason && newMaintenance == maintenance) {
            return false;
        }
        state = newState;
        reason = newReason;
        maintenance = newMaintenance;
        checked = true;
        return true;
    }
}
