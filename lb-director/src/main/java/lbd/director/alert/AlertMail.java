package lbd.director.alert;

import java.util.List;
import java.util.Optional;
import lbd.config.model.DaemonStatus;
import lbd.config.model.EmailAlert;

/**
 * One alert mail as ldirectord writes it (ld_emailalert_send, ld_emailalert_net_smtp): the subject is the log
 * message, prefixed with {@code [SERVICENAME] } when the service has one; the body names the director, repeats
 * the message and says the daemon's status, then the service's name and comment when it has them.
 *
 * @param alert   where it goes (recipients, relay)
 * @param from    the From: header (emailalertfrom=, else USER@HOSTNAME)
 * @param sender  the envelope sender, always USER@HOSTNAME (as ldirectord's MAIL FROM)
 * @param subject the subject, with the servicename prefix
 * @param body    the body text
 * @param hostname this director's name (EHLO)
 */
record AlertMail(EmailAlert alert, String from, String sender, String subject, String body, String hostname) {

    static AlertMail of(EmailAlert alert, String message, Optional<String> serviceName, Optional<String> comment,
                        Optional<String> emailAlertFrom, String user, String hostname, DaemonStatus status) {
        String subject = serviceName.map(n -> "[" + n + "] " + message).orElse(message);
        StringBuilder body = new StringBuilder()
                .append("ldirectord host: ").append(hostname).append('\n')
                .append("Log-Message: ").append(subject).append('\n')
                .append("Daemon-Status: ").append(status.word()).append('\n');
        StringBuilder details = new StringBuilder();
        serviceName.ifPresent(n -> details.append("Service name: ").append(n).append('\n'));
        comment.ifPresent(c -> details.append("Comment: ").append(c).append('\n'));
        if (!details.isEmpty()) {
            body.append('\n').append(details).append('\n');
        }
        String sender = user + "@" + hostname;
        return new AlertMail(alert, emailAlertFrom.orElse(sender), sender, subject, body.toString(), hostname);
    }

    List<String> recipients() {
        return alert.recipients();
    }
}
