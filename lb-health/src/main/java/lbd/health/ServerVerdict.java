package lbd.health;

import java.util.function.Consumer;

/**
 * What one real server's checks conclude: ldirectord's state machine fed one verdict per check, a line in the
 * service's monitorfile per check, and a report to the monitor only when something an operator would see changed. Used by whichever thread runs the server's
 * check at the time; a server's checks never overlap, so it needs no lock.
 */
final class ServerVerdict {

    private final long checkerId;
    private final CheckSpec spec;
    private final RealServerHealth health;
    private final PublishedVerdict published;
    private final Consumer<CheckReport> sink;
    private final MonitorLine monitor;

    ServerVerdict(long checkerId, CheckSpec spec, RealServerStatus current, Consumer<CheckReport> sink,
                  MonitorLine monitor) {
        this.monitor = monitor;
        this.checkerId = checkerId;
        this.spec = spec;
        this.health = new RealServerHealth(current.state(), spec.check().failureCount());
        this.published = new PublishedVerdict(current);
        this.sink = sink;
    }

    /** The state after the last verdict. */
    HealthState state() {
        return health.state();
    }

    /** Feeds one verdict to the state machine and tells the monitor if an operator would see a change. */
    void record(boolean up, String reason, boolean inMaintenance) {
        // ldirectord's message for a server in maintenance; a check's own reason otherwise.
        monitor.record(up && !inMaintenance, inMaintenance ? "Server in maintenance" : reason);
        boolean changed;
        if (inMaintenance) {
            changed = health.forceDown();
        } else {
            changed = up ? health.recordSuccess() : health.recordFailure();
        }
        if (published.update(health.state(), reason, inMaintenance)) {
            sink.accept(new CheckReport(checkerId, spec.server(), health.state(), reason, inMaintenance, changed));
        }
    }
}
