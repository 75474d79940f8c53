package lbd.config.model;

/** ldirectord's {@code service=}: the protocol a negotiate check speaks. */
public enum ServiceType {
    HTTP, HTTPS, SIMPLETCP, NONE,
    // Recognised from the man page; rejected as "not supported yet" until lb-health implements them.
    DNS, FTP, IMAP, IMAPS, LDAP, MYSQL, NNTP, ORACLE, PGSQL, POP, POPS, RADIUS, SIP, SMTP, SUBMISSION,
    HTTP_PROXY;

    public boolean implemented() {
        return this == HTTP || this == HTTPS || this == SIMPLETCP || this == NONE;
    }
}
