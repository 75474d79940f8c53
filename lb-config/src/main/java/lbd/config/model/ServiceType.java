package lbd.config.model;

/** ldirectord's {@code service=}: the protocol a negotiate check speaks. */
public enum ServiceType {
    HTTP, HTTPS, SIMPLETCP, NONE,
    // The rest of the man page's services; oracle is refused (see ServiceBuilder).
    DNS, FTP, IMAP, IMAPS, LDAP, MYSQL, NNTP, ORACLE, PGSQL, POP, POPS, RADIUS, SIP, SMTP, SUBMISSION,
    HTTP_PROXY,
    // Added after the first release of this enum; keep new constants at the end.
    LDAPS;

    /** The name written in ldirectord.cf: http, http_proxy, ... */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The service ldirectord assumes for a virtual port when no service= is given (none for other ports). */
    public static ServiceType forPort(int port) {
        return switch (port) {
            case 21 -> FTP;
            case 25 -> SMTP;
            case 53 -> DNS;
            case 80 -> HTTP;
            case 110 -> POP;
            case 119 -> NNTP;
            case 143 -> IMAP;
            case 389 -> LDAP;
            case 443 -> HTTPS;
            case 587 -> SUBMISSION;
            case 636 -> LDAPS;
            case 993 -> IMAPS;
            case 995 -> POPS;
            case 1521 -> ORACLE;
            case 1812 -> RADIUS;
            case 3128 -> HTTP_PROXY;
            case 3306 -> MYSQL;
            case 5060 -> SIP;
            case 5432 -> PGSQL;
            default -> NONE;
        };
    }

    /** Whether lb-health has a negotiate check for this service. */
    public boolean implemented() {
        return switch (this) {
            case ORACLE -> false;
            default -> true;
        };
    }
}
