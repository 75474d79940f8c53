package lbd.director.alert;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Properties;
import lbd.config.model.EmailAlert;

/**
 * Hands an {@link AlertMail} to its SMTP relay with Jakarta Mail (Angus Mail): plain SMTP, no authentication, as
 * ldirectord's Net::SMTP; without smtp=, the local MTA on localhost:25 (ldirectord's Mail::Send gives it to the
 * local sendmail). Every network step is bounded, so a dead relay costs at most {@link #TIMEOUT} per step.
 */
final class SmtpSender {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final EmailAlert.Relay LOCAL_MTA = new EmailAlert.Relay("localhost", 25);

    private SmtpSender() {
    }

    static void send(AlertMail mail) throws MessagingException {
        EmailAlert.Relay relay = mail.alert().smtpServer().orElse(LOCAL_MTA);
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", relay.host());
        p.setProperty("mail.smtp.port", Integer.toString(relay.port()));
        p.setProperty("mail.smtp.from", mail.sender()); // the envelope sender
        // Named here, so that neither EHLO nor the Message-ID asks the resolver for this host's name (a director
        // whose DNS is down must still mail).
        p.setProperty("mail.smtp.localhost", mail.hostname());
        p.setProperty("mail.from", mail.sender());
        p.setProperty("mail.host", mail.hostname());
        p.setProperty("mail.smtp.connectiontimeout", Long.toString(TIMEOUT.toMillis()));
        p.setProperty("mail.smtp.timeout", Long.toString(TIMEOUT.toMillis()));
        p.setProperty("mail.smtp.writetimeout", Long.toString(TIMEOUT.toMillis()));
        Session session = Session.getInstance(p);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(address(mail.from()));
        for (String to : mail.recipients()) {
            message.addRecipient(Message.RecipientType.TO, address(to));
        }
        message.setSubject(mail.subject(), StandardCharsets.UTF_8.name());
        message.setSentDate(new Date());
        message.setText(mail.body(), StandardCharsets.UTF_8.name());
        Transport.send(message);
    }

    private static InternetAddress address(String text) throws AddressException {
        InternetAddress a = new InternetAddress(text, false);
        return a;
    }
}
