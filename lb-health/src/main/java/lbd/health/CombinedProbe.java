package lbd.health;

/**
 * checktype=N: N connect checks, then one negotiate check, as ldirectord counts them: a failed connect makes
 * the next check a negotiate, and negotiate is repeated until one succeeds.
 */
public final class CombinedProbe implements Probe {

    private final Probe connect;
    private final Probe negotiate;
    private final int connectsPerNegotiate;
    private int connectsDone; // owned by the server's checker thread

    public CombinedProbe(Probe connect, Probe negotiate, int connectsPerNegotiate) {
        this.connect = connect;
        this.negotiate = negotiate;
        this.connectsPerNegotiate = Math.max(0, connectsPerNegotiate);
        this.connectsDone = this.connectsPerNegotiate; // the very first check negotiates: prove the service first
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (connectsDone >= connectsPerNegotiate) {
            ProbeResult result = negotiate.check();
            if (result.up()) {
                connectsDone = 0;
            }
            return result;
        }
        ProbeResult result = connect.check();
        connectsDone = result.up() ? connectsDone + 1 : connectsPerNegotiate;
        return result;
    }
}
