package lbd.config.model;

/**
 * ldirectord's {@code checktype}. A number N in the file is {@link #COMBINED}: N connect checks, then one
 * negotiate check ({@link HealthCheck#connectChecksPerNegotiate()} holds N).
 */
public enum CheckType {
    CONNECT, NEGOTIATE, EXTERNAL, EXTERNAL_PERL, OFF, ON, PING, COMBINED
}
