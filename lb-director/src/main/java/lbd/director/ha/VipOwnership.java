package lbd.director.ha;

/**
 * Whatever makes the VIPs arrive at this node: {@link #acquire()} when it becomes active, {@link #release()} when
 * it stops being active (and once at start, to clear what a killed previous run left behind). Both are
 * idempotent and called from the HA thread only; failures are logged by the implementation, never thrown.
 */
public interface VipOwnership {

    void acquire();

    void release();

    /** For logs: what is acquired, e.g. {@code 10.8.8.45/24 on eth0}. */
    String describe();
}
