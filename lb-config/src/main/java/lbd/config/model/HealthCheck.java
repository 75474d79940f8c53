package lbd.config.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a virtual service's real servers are checked, with ldirectord's defaults already applied.
 *
 * @param type                      checktype
 * @param connectChecksPerNegotiate for {@link CheckType#COMBINED}: N in {@code checktype=N}; otherwise 0
 * @param service                   service (derived from the virtual port when not given)
 * @param checkInterval             checkinterval: time between the starts of two checks of one server
 * @param checkTimeout              checktimeout: bound on a whole check (and on external commands)
 * @param connectTimeout            connecttimeout: bound on the TCP connect of a check
 * @param negotiateTimeout          negotiatetimeout: bound on a negotiate check
 * @param failureCount              failurecount: consecutive failures before a server is taken out
 * @param checkPort                 checkport: port to check instead of the real server's (empty: its own)
 * @param request                   request: URI for http(s), string for simpletcp (empty: service default)
 * @param receive                   receive: regular expression the response must match (empty: any)
 * @param httpMethod                httpmethod: GET or HEAD
 * @param virtualHost               virtualhost: Host header for http(s)
 * @param checkCommand              checkcommand for external checks
 * @param credentials               login, passwd and database, for the checks that log in
 * @param checkCount                checkcount: ICMP echo requests a ping check sends before it fails (ldirectord
 *                                  reads it nowhere else)
 */
public record HealthCheck(
        CheckType type,
        int connectChecksPerNegotiate,
        ServiceType service,
        Duration checkInterval,
        Duration checkTimeout,
        Duration connectTimeout,
        Duration negotiateTimeout,
        int failureCount,
        Optional<Integer> checkPort,
        Optional<String> request,
        Optional<String> receive,
        String httpMethod,
        Optional<String> virtualHost,
        Optional<String> checkCommand,
        CheckCredentials credentials,
        int checkCount) {

    public HealthCheck {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(checkInterval, "checkInterval");
        Objects.requireNonNull(checkTimeout, "checkTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(negotiateTimeout, "negotiateTimeout");
        Objects.requireNonNull(checkPort, "checkPort");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(receive, "receive");
        Objects.requireNonNull(httpMethod, "httpMethod");
        Objects.requireNonNull(virtualHost, "virtualHost");
        Objects.requireNonNull(checkCommand, "checkCommand");
        Objects.requireNonNull(credentials, "credentials");
        if (failureCount < 1) {
            throw new IllegalArgumentException("failureCount must be >= 1: " + failureCount);
        }
        if (checkCount < 1) {
            throw new IllegalArgumentException("checkCount must be >= 1: " + checkCount);
        }
    }

    /** A check that logs in nowhere (every service but ftp, pop, imap, ldap and the databases), checkcount=1. */
    public HealthCheck(CheckType type, int connectChecksPerNegotiate, ServiceType service, Duration checkInterval,
            Duration checkTimeout, Duration connectTimeout, Duration negotiateTimeout, int failureCount,
            Optional<Integer> checkPort, Optional<String> request, Optional<String> receive, String httpMethod,
            Optional<String> virtualHost, Optional<String> checkCommand) {
        this(type, connectChecksPerNegotiate, service, checkInterval, checkTimeout, connectTimeout, negotiateTimeout,
                failureCount, checkPort, request, receive, httpMethod, virtualHost, checkCommand,
                CheckCredentials.NONE, 1);
    }

    /** With checkcount=1, ldirectord's default. */
    public HealthCheck(CheckType type, int connectChecksPerNegotiate, ServiceType service, Duration checkInterval,
            Duration checkTimeout, Duration connectTimeout, Duration negotiateTimeout, int failureCount,
            Optional<Integer> checkPort, Optional<String> request, Optional<String> receive, String httpMethod,
            Optional<String> virtualHost, Optional<String> checkCommand, CheckCredentials credentials) {
        this(type, connectChecksPerNegotiate, service, checkInterval, checkTimeout, connectTimeout, negotiateTimeout,
                failureCount, checkPort, request, receive, httpMethod, virtualHost, checkCommand, credentials, 1);
    }
}
