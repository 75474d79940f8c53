package lbd.health;

/**
 * One kind of check of one real server. A probe is built for its target once (request bytes, patterns,
 * addresses prepared up front) and then called once per check interval, each time on a new virtual thread but
 * never concurrently (one check's end happens-before the next one's start), so an implementation may keep per-server state without synchronisation.
 */
public interface Probe {

    /**
     * Runs one check, blocking until it ends or its own timeout passes. Failures are results, not exceptions.
     *
     * @throws InterruptedException when the server's checks are being stopped
     */
    ProbeResult check() throws InterruptedException;
}
