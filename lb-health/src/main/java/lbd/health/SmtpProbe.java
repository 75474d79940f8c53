package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

import org.apache.commons.net.smtp.SMTPClient;
import org.apache.commons.net.smtp.SMTPReply;

/**
 * service=smtp|submission with checktype=negotiate, as ldirectord's check_smtp (Perl's Net::SMTP): the greeting
 * must be 2xx and {@code EHLO localhost.localdomain} accepted ({@code HELO} when the server refuses EHLO with a
 * 5xx), then QUIT; all within negotiatetimeout. request, receive, login and passwd are not used (no AUTH, no
 * STARTTLS), as in ldirectord.
 */
public final class SmtpProbe implements Probe {

    static final String HELLO_DOMAIN = "localhost.localdomain";

    private final String service;
    private final InetSocketAddress target;
    private final Duration connectTimeout;
    private final Duration timeout;

    public SmtpProbe(CheckSpec spec) {
        this.service = spec.check().service().configName();
        this.target = spec.target().toSocketAddress();
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        Deadline deadline = Deadline.after(timeout);
        SMTPClient smtp = new SMTPClient();
        try {
            NetClientSteps.connect(smtp, target, deadline, connectTimeout);
            if (!SMTPReply.isPositiveCompletion(smtp.getReplyCode())) {
                return ProbeResult.down("negotiate: " + service + " greeting refused: "
                        + NetClientSteps.reply(smtp.getReplyString()));
            }
            NetClientSteps.nextStep(smtp, deadline);
            int code = smtp.sendCommand("EHLO", HELLO_DOMAIN);
            String command = "EHLO";
            if (code >= 500) {
                NetClientSteps.nextStep(smtp, deadline);
                code = smtp.helo(HELLO_DOMAIN);
                command = "HELO";
            }
            if (!SMTPReply.isPositiveCompletion(code)) {
                return ProbeResult.down("negotiate: " + service + " " + command + " refused: "
                        + NetClientSteps.reply(smtp.getReplyString()));
            }
            NetClientSteps.nextStep(smtp, deadline);
            smtp.logout();
            return ProbeResult.up("negotiate: " + service + " " + command + " accepted");
        } catch (IOException e) {
            return NetClientSteps.failed(service, e, timeout);
        } finally {
            NetClientSteps.close(smtp);
        }
    }
}
