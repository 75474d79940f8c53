package lbd.health;

/**
 * A probe whose answer never changes: service=none (ldirectord declares the server up without connecting) and
 * checks lbd cannot perform on this host (down, with the reason saying what to use instead).
 */
public final class FixedProbe implements Probe {

    private final ProbeResult result;

    public FixedProbe(ProbeResult result) {
        this.result = result;
    }

    @Override
    public ProbeResult check() {
        return result;
    }
}
