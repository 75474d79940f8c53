package lbd.health;

/** What a real server's checks say about it. A server nobody has checked yet is DOWN (as in ldirectord). */
public enum HealthState {
    UP, DOWN;

    /** As written in log lines: {@code up}, {@code down}. */
    public String word() {
        return this == UP ? "up" : "down";
    }
}
