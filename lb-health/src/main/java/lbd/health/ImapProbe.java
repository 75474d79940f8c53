package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import org.apache.commons.net.imap.IMAPClient;
import org.apache.commons.net.imap.IMAPSClient;

/**
 * service=imap|imaps with checktype=negotiate, as ldirectord's check_imap (Perl's Net::IMAP::Simple): the greeting
 * must be {@code * OK} or {@code * PREAUTH}; with {@code login=} the server must accept {@code LOGIN} with
 * {@code passwd=}; then LOGOUT; all within negotiatetimeout. imaps is IMAP inside TLS from the first byte, the
 * certificate not verified (as lbd's https).
 */
public final class ImapProbe implements Probe {

    private final String service;
    private final boolean tls;
    private final InetSocketAddress target;
    private final Optional<String> login;
    private final String passwd;
    private final Duration connectTimeout;
    private final Duration timeout;

    public ImapProbe(CheckSpec spec, boolean tls) {
        this.service = spec.check().service().configName();
        this.tls = tls;
        this.target = spec.target().toSocketAddress();
        this.login = spec.check().credentials().login();
        this.passwd = spec.check().credentials().passwd().orElse("");
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        Deadline deadline = Deadline.after(timeout);
        IMAPClient imap = tls ? new IMAPSClient(true, TrustAllTls.context()) : new IMAPClient();
        try {
            NetClientSteps.connect(imap, target, deadline, connectTimeout);
            String greeting = imap.getReplyString();
            if (greeting == null || !(greeting.startsWith("* OK") || greeting.startsWith("* PREAUTH"))) {
                return ProbeResult.down("negotiate: " + service + " greeting refused: "
                        + NetClientSteps.reply(greeting));
            }
            if (login.isPresent()) {
                NetClientSteps.nextStep(imap, deadline);
                if (!imap.login(login.get(), passwd)) {
                    return ProbeResult.down("negotiate: " + service + " login as " + login.get() + " refused: "
                            + NetClientSteps.reply(imap.getReplyString()));
                }
            }
            NetClientSteps.nextStep(imap, deadline);
            imap.logout();
            return ProbeResult.up("negotiate: " + service + (login.isPresent() ? " logged in as " + login.get()
                    : " greeting OK"));
        } catch (IOException e) {
            return NetClientSteps.failed(service, e, timeout);
        } finally {
            NetClientSteps.close(imap);
        }
    }
}
