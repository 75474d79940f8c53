package lbd.health;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * service=mysql|pgsql with checktype=negotiate, as ldirectord's check_sql (Perl's DBI): connect as {@code login=}
 * with {@code passwd=} to {@code database=} (the server's default when absent), run {@code request=} as SQL and pass
 * when it returns at least one row. receive is not used, as in ldirectord. Unlike ldirectord, which leaves the
 * timeouts to its drivers, the whole check is bounded by negotiatetimeout. The drivers are MariaDB Connector/J
 * (which speaks to MySQL and MariaDB) and the PostgreSQL JDBC driver.
 */
public final class SqlProbe implements Probe {

    /** A database and its JDBC driver. */
    public enum Dialect {
        MYSQL("mysql", "jdbc:mariadb://") {
            @Override
            Driver driver() {
                return new org.mariadb.jdbc.Driver();
            }

            @Override
            void timeouts(Properties p, int connectMillis, int socketMillis) {
                p.setProperty("connectTimeout", Integer.toString(connectMillis));
                p.setProperty("socketTimeout", Integer.toString(socketMillis));
            }
        },
        PGSQL("pgsql", "jdbc:postgresql://") {
            @Override
            Driver driver() {
                return new org.postgresql.Driver();
            }

            @Override
            void timeouts(Properties p, int connectMillis, int socketMillis) {
                // Whole seconds; 0 would mean none.
                p.setProperty("connectTimeout", Integer.toString(Math.max(1, (connectMillis + 999) / 1000)));
                p.setProperty("socketTimeout", Integer.toString(Math.max(1, (socketMillis + 999) / 1000)));
                p.setProperty("loginTimeout", Integer.toString(Math.max(1, (socketMillis + 999) / 1000)));
                p.setProperty("ApplicationName", "lbd health check");
            }
        };

        private final String service;
        private final String urlPrefix;

        Dialect(String service, String urlPrefix) {
            this.service = service;
            this.urlPrefix = urlPrefix;
        }

        abstract Driver driver();

        abstract void timeouts(Properties p, int connectMillis, int socketMillis);
    }

    private final Dialect dialect;
    private final Driver driver;
    private final String url;
    private final String login;
    private final String passwd;
    private final String query;
    private final Duration connectTimeout;
    private final Duration timeout;

    public SqlProbe(CheckSpec spec, Dialect dialect) {
        this.dialect = dialect;
        this.driver = dialect.driver();
        InetSocketAddress target = spec.target().toSocketAddress();
        String host = target.getAddress() instanceof Inet6Address
                ? "[" + target.getAddress().getHostAddress() + "]" : target.getAddress().getHostAddress();
        this.url = dialect.urlPrefix + host + ":" + target.getPort() + "/"
                + spec.check().credentials().database().orElse("");
        this.login = spec.check().credentials().login().orElse("");
        this.passwd = spec.check().credentials().passwd().orElse("");
        this.query = spec.request().orElse("").replaceFirst("^/", "");
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        String service = dialect.service;
        if (login.isEmpty() || query.isBlank()) {
            // lb-config refuses this; kept for specs built by hand.
            return ProbeResult.down("negotiate: " + service + " needs login= and request= (the SQL to run)");
        }
        Deadline deadline = Deadline.after(timeout);
        Properties properties = new Properties();
        properties.setProperty("user", login);
        properties.setProperty("password", passwd);
        String step = "login as " + login;
        try {
            dialect.timeouts(properties, deadline.remainingMillis(connectTimeout), deadline.remainingMillis());
            try (Connection connection = driver.connect(url, properties)) {
                step = "request \"" + Texts.snippet(query) + "\"";
                try (Statement statement = connection.createStatement()) {
                    statement.setQueryTimeout(Math.max(1, (deadline.remainingMillis() + 999) / 1000));
                    if (!statement.execute(query)) {
                        return ProbeResult.down("negotiate: " + service + " " + step + " returned no rows"
                                + " (not a query)");
                    }
                    try (ResultSet rows = statement.getResultSet()) {
                        if (!rows.next()) {
                            return ProbeResult.down("negotiate: " + service + " " + step + " returned no rows");
                        }
                    }
                }
                return ProbeResult.up("negotiate: " + service + " " + step + " returned a row");
            }
        } catch (SQLException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException(service + " probe stopped");
            }
            return ProbeResult.down("negotiate: " + service + " " + step + " failed: " + describe(e));
        } catch (IOException e) { // the deadline passed before the connect
            return NetClientSteps.failed(service, e, timeout);
        }
    }

    /** A failed connection as every probe says it; otherwise the server's or driver's message and SQLSTATE. */
    private String describe(SQLException e) {
        IOException innermost = null;
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException io) {
                innermost = io;
            }
        }
        if (innermost != null) {
            return IoFailures.describe(innermost, timeout);
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return Texts.snippet(message) + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")");
    }
}
