package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

import org.apache.commons.net.pop3.POP3;
import org.apache.commons.net.pop3.POP3Client;
import org.apache.commons.net.pop3.POP3SClient;

/**
 * service=pop|pops with checktype=negotiate, as ldirectord's check_pop (Perl's Mail::POP3Client): the greeting
 * must be {@code +OK}; with {@code login=} the server must accept USER/PASS with {@code passwd=}; then QUIT; all
 * within negotiatetimeout. pops is POP3 inside TLS from the first byte, the certificate not verified (as lbd's
 * https). Without login= ldirectord passes even a dead server (its library's failure is never examined); lbd
 * requires the greeting.
 */
public final class PopProbe implements Probe {

    private final String service;
    private final boolean tls;
    private final InetSocketAddress target;
    private final Optional<String> login;
    private final String passwd;
    private final Duration connectTimeout;
    private final Duration timeout;

    public PopProbe(CheckSpec spec, boolean tls) {
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
        POP3Client pop = tls ? new POP3SClient(true, TrustAllTls.context()) : new POP3Client();
        try {
            NetClientSteps.connect(pop, target, deadline, connectTimeout);
            if (pop.getState() != POP3.AUTHORIZATION_STATE) {
                return ProbeResult.down("negotiate: " + service + " greeting refused: "
                        + NetClientSteps.reply(pop.getReplyString()));
            }
            if (login.isPresent()) {
                NetClientSteps.nextStep(pop, deadline);
                if (!pop.login(login.get(), passwd)) {
                    return ProbeResult.down("negotiate: " + service + " login as " + login.get() + " refused: "
                            + NetClientSteps.reply(pop.getReplyString()));
                }
            }
            NetClientSteps.nextStep(pop, deadline);
            pop.logout();
            return ProbeResult.up("negotiate: " + service + (login.isPresent() ? " logged in as " + login.get()
                    : " greeting +OK"));
        } catch (IOException e) {
            return NetClientSteps.failed(service, e, timeout);
        } finally {
            NetClientSteps.close(pop);
        }
    }
}
