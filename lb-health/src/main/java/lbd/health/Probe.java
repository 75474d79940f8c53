package lbd.health;

/**
 * One kind of check of one real server. A probe is built for its target once (request bytes, patterns,
 * addresses prepared up front) and then called once per check interval by that server's own virtual thread,
 * never concurrently, so an implementation may keep per-server state without synchronisation.
 */
public interface Probe {

    /**
     * Runs one check, blocking until it ends or its own timeout passes. Failures are results, not exceptions.
     *
     * @throws InterruptedException when the server's checks are being stopped
     */
    ProbeResult check() throws InterruptedException;
}
