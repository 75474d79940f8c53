package lbd.director.ha;

/**
 * Whatever makes the VIPs arrive at this node: {@link #acquire()} when it becomes active, {@link #release()} when
 * it stops being active (and once at start, to clear what a killed previous run left behind). Both are
 * idempotent and called from the HA thread only; failures are logged by the implementation, never thrown.
 */
public interface VipOwnership {

    void acquire();

    void release();

    /**
     * {@code lbd upgrade}: the process before this one held the VIPs as the active node, and this one carries the
     * node on. The VIPs are in place (addresses on their interfaces, neighbours' caches pointing here): take them
     * as this process's without adding or announcing anything. By default nothing to do.
     */
    default void adopt() {
    }

    /**
     * While this node is active, every few seconds: puts back what went missing since {@link #acquire()} (an
     * {@code ifdown}/{@code ifup} of the VIP's interface, or an operator's {@code ip addr del}, removes the address;
     * Pacemaker's IPaddr2 monitor and keepalived put it back too). Idempotent; true when something was put back, so
     * that it is announced again. By default nothing to do.
     */
    default boolean keep() {
        return false;
    }

    /** For logs: what is acquired, e.g. {@code 10.8.8.45/24 on eth0}. */
    String describe();
}
