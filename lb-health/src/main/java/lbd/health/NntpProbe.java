package lbd.health;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

import org.apache.commons.net.nntp.NNTPClient;
import org.apache.commons.net.nntp.NNTPReply;

/**
 * service=nntp with checktype=negotiate, as ldirectord's check_nntp: connect and read the greeting within
 * negotiatetimeout; up when it is 2xx (200 posting allowed, 201 not). Nothing is sent and receive is not used, as
 * in ldirectord.
 */
public final class NntpProbe implements Probe {

    private final InetSocketAddress target;
    private final Duration connectTimeout;
    private final Duration timeout;

    public NntpProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        Deadline deadline = Deadline.after(timeout);
        NNTPClient nntp = new NNTPClient();
        try {
            NetClientSteps.connect(nntp, target, deadline, connectTimeout);
            if (!NNTPReply.isPositiveCompletion(nntp.getReplyCode())) {
                return ProbeResult.down("negotiate: nntp greeting refused: "
                        + NetClientSteps.reply(nntp.getReplyString()));
            }
            return ProbeResult.up("negotiate: nntp greeting " + nntp.getReplyCode());
        } catch (IOException e) {
            return NetClientSteps.failed("nntp", e, timeout);
        } finally {
            NetClientSteps.close(nntp);
        }
    }
}
