package lbd.director.ha;

/** What a node says about itself in each heartbeat. */
public enum HaRole {
    /** Alive, not serving: health checks run, listeners are bound, the VIPs are elsewhere. */
    BACKUP,
    /** Alive and serving: holds the VIPs. */
    ACTIVE,
    /** Stopping cleanly, VIPs already given up: the peer may take over at once instead of waiting deadtime. */
    LEAVING;

    static HaRole fromCode(int code) {
        HaRole[] all = values();
        return code >= 0 && code < all.length ? all[code] : null;
    }
}
