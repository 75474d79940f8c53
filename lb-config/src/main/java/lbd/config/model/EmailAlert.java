package lbd.config.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * ldirectord's alert mail for one virtual service, each setting the service's own else the global one.
 *
 * <p>The relay's name is resolved when a mail is sent, not at load: a mail relay's address may change, and an alert
 * must not fail a configuration.
 *
 * @param recipients   emailalert: the addresses (ldirectord's comma-separated list)
 * @param smtpServer   smtp: the relay's HOST or HOST:PORT (port 25 by default); empty: the local MTA on
 *                     localhost:25 (ldirectord hands the mail to the local sendmail then)
 * @param resendEvery  emailalertfreq: while a real server stays down, its "Inaccessible real server" mail is
 *                     sent again after this long; zero: never again
 * @param statuses     emailalertstatus: the daemon statuses in which mail is sent (all by default; empty = none)
 */
public record EmailAlert(List<String> recipients, Optional<Relay> smtpServer, Duration resendEvery,
                         Set<DaemonStatus> statuses) {

    public EmailAlert {
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(smtpServer, "smtpServer");
        Objects.requireNonNull(resendEvery, "resendEvery");
        statuses = Set.copyOf(statuses);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an alert needs at least one recipient");
        }
    }

    /** smtp=HOST[:PORT]. */
    public record Relay(String host, int port) {
        public Relay {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }

        @Override
        public String toString() {
            return port == 25 ? host : host + ":" + port;
        }
    }
}
