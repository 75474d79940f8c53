package lbd.director.listing;

/**
 * Per-second rates over the last estimator interval, as {@code ipvsadm --rate} prints them.
 *
 * @param cps    new connections per second
 * @param inPps  packets per second, client to server
 * @param outPps packets per second, server to client
 * @param inBps  bytes per second, client to server
 * @param outBps bytes per second, server to client
 */
public record Rates(long cps, long inPps, long outPps, long inBps, long outBps) {

    public static final Rates ZERO = new Rates(0, 0, 0, 0, 0);

    public Rates plus(Rates o) {
        return new Rates(cps + o.cps, inPps + o.inPps, outPps + o.outPps, inBps + o.inBps, outBps + o.outBps);
    }
}
