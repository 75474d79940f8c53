package lbd.config.model;

/**
 * lbd extension {@code loglevel=}: the least severe lines lbd logs. {@code info} (the default) has one line per
 * event an operator acts on; {@code debug} adds what ldirectord's {@code -d} prints (each check's outcome, each
 * published table, clients of the control socket going away).
 */
public enum LogLevel {
    ERROR, WARN, INFO, DEBUG
}
