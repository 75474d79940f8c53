package lbd.config.model;

import java.util.Objects;
import java.util.Optional;

/**
 * What a negotiate check logs in with: ldirectord's {@code login}, {@code passwd}, {@code database} and {@code secret} of a
 * virtual service. Empty where the directive is absent; each check decides what absence means (anonymous FTP,
 * no login for pop/imap, an anonymous LDAP bind, the driver's default database).
 *
 * @param login    login: user name, or the bind DN for ldap
 * @param passwd   passwd
 * @param database database: the database name for mysql and pgsql
 * @param secret   secret: the RADIUS shared secret of radius checks
 */
public record CheckCredentials(Optional<String> login, Optional<String> passwd, Optional<String> database,
                               Optional<String> secret) {

    /** No login, no password, no database, no secret. */
    public static final CheckCredentials NONE = new CheckCredentials(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());

    /** Without a RADIUS secret. */
    public CheckCredentials(Optional<String> login, Optional<String> passwd, Optional<String> database) {
        this(login, passwd, database, Optional.empty());
    }

    public CheckCredentials {
        Objects.requireNonNull(login, "login");
        Objects.requireNonNull(passwd, "passwd");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        // A configuration dump or log line must not carry the password.
        return "CheckCredentials[login=" + login.orElse("") + ", passwd=" + (passwd.isPresent() ? "***" : "")
                + ", database=" + database.orElse("") + ", secret=" + (secret.isPresent() ? "***" : "") + "]";
    }
}
