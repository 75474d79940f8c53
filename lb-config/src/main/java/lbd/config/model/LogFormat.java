package lbd.config.model;

/**
 * lbd extension {@code logformat=}: {@code text} (a timestamped line, ldirectord's habit) or {@code json} (one JSON
 * object per line for log shippers). Both carry the same key-value fields on the events that have them.
 */
public enum LogFormat {
    TEXT, JSON
}
