package lbd.config.model;

/**
 * ldirectord's daemon status, which its alert mail reports ({@code Daemon-Status:}) and {@code emailalertstatus=}
 * filters on. In lbd: starting until it serves, running, reloading while a reload is applied, stopping once a
 * stop began.
 */
public enum DaemonStatus {
    STARTING, RUNNING, STOPPING, RELOADING;

    /** As ldirectord writes it: {@code running}. */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
