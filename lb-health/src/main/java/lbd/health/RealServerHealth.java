package lbd.health;

import java.util.Objects;

/**
 * The per-real-server state machine of ldirectord: {@code failurecount} consecutive failures take an UP server
 * down, one success brings it up and resets the count; maintenance forces it down at once. Owned by the
 * server's checker thread; not thread-safe.
 */
public final class RealServerHealth {

    private final int failureCount;
    private HealthState state;
    private int consecutiveFailures;

    public RealServerHealth(HealthState initial, int failureCount) {
        if (failureCount < 1) {
            throw new IllegalArgumentException("failureCount must be >= 1: " + failureCount);
        }
        this.state = Objects.requireNonNull(initial, "initial");
        this.failureCount = failureCount;
    }

    public HealthState state() {
        return state;
    }

    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** @return whether the state changed */
    public boolean recordSuccess() {
        consecutiveFailures = 0;
        return moveTo(HealthState.UP);
    }

    /** @return whether the state changed */
    public boolean recordFailure() {
        if (consecutiveFailures < failureCount) {
            consecutiveFailures++; // saturates: only "reached failurecount" matters
        }
        return consecutiveFailures >= failureCount && moveTo(HealthState.DOWN);
    }

    /** A maintenance file: down now, whatever the count (ldirectord forces it). @return whether it changed */
    public boolean forceDown() {
        consecutiveFailures = failureCount;
        return moveTo(HealthState.DOWN);
    }

    private boolean moveTo(HealthState next) {
        if (state == next) {
            return false;
        }
        state = next;
        return true;
    }
}
