package lbd.config.model;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What a virtual service tells operators besides lbd's log, as ldirectord does.
 *
 * @param monitorFile monitorfile: every check's result is appended there, in ldirectord's line format
 * @param emailAlert  emailalert= and its companions (the service's, else the global ones); empty: no mail
 * @param serviceName servicename: prefixes the alert mail's subject, {@code [NAME] ...}, and names it in the body
 * @param comment     comment: a line of the alert mail's body
 */
public record Reporting(Optional<Path> monitorFile, Optional<EmailAlert> emailAlert, Optional<String> serviceName,
                        Optional<String> comment) {

    public static final Reporting NONE = new Reporting(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    public Reporting {
        Objects.requireNonNull(monitorFile, "monitorFile");
        Objects.requireNonNull(emailAlert, "emailAlert");
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(comment, "comment");
    }
}
