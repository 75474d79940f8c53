package lbd.health;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.regex.Pattern;
import lbd.config.model.Protocol;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * service=dns, as ldirectord's check_dns (Net::DNS): one query to the real server (checkport, else its port) for
 * {@code request} (a leading {@code /} dropped): a PTR query when it is an IPv4 address, else an A query, with
 * recursion desired; over TCP when the virtual service is tcp, else UDP; within negotiatetimeout. Up when an A
 * record of the answer has an address, or a PTR record a target name (without the final dot), in which
 * {@code receive} finds a match. No answer, an error code (NXDOMAIN...) or a timeout is down ("Connection timed
 * out", as ldirectord says); so is an empty receive, which ldirectord never matches. Unlike Net::DNS's search(),
 * a one-label name is asked as it is, without the resolver's search list.
 */
public final class DnsProbe implements Probe {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final SimpleResolver resolver;
    private final Record question;
    private final String questionText;
    private final ReceivePattern receive;
    private final Duration timeout;

    public DnsProbe(CheckSpec spec) {
        this.timeout = spec.check().negotiateTimeout();
        this.receive = ReceivePattern.of(spec.receive());
        String request = spec.request().orElse("");
        if (request.startsWith("/")) {
            request = request.substring(1);
        }
        this.questionText = request;
        this.resolver = new SimpleResolver(spec.target().toSocketAddress());
        resolver.setTimeout(timeout);
        resolver.setTCP(spec.server().service().protocol() == Protocol.TCP);
        this.question = question(request);
    }

    /** The question for {@code request}, or null when it is not a domain name (every check then says so). */
    private static Record question(String request) {
        try {
            if (IPV4.matcher(request).matches()) {
                return Record.newRecord(ReverseMap.fromAddress(InetAddress.getByName(request)), Type.PTR, DClass.IN);
            }
            return Record.newRecord(Name.fromString(request, Name.root), Type.A, DClass.IN);
        } catch (IOException e) { // TextParseException included
            return null;
        }
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (receive.invalidReason() != null) {
            return ProbeResult.down(receive.invalidReason());
        }
        if (question == null) {
            return ProbeResult.down("negotiate: request \"" + questionText + "\" is not a domain name; fix"
                    + " request= in the configuration");
        }
        Message query = Message.newQuery(question);
        query.getHeader().setFlag(Flags.RD);
        Message answer;
        try {
            answer = resolver.send(query);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("dns probe stopped");
            }
            return ProbeResult.down("negotiate: Connection timed out (" + IoFailures.describe(e, timeout) + ")");
        }
        if (answer.getRcode() != Rcode.NOERROR || answer.getSection(Section.ANSWER).isEmpty()) {
            return ProbeResult.down("negotiate: Connection timed out (" + Rcode.string(answer.getRcode())
                    + ", " + answer.getSection(Section.ANSWER).size() + " answers)");
        }
        if (receive.isSet()) {
            for (Record r : answer.getSection(Section.ANSWER)) {
                String value = switch (r) {
                    case ARecord a -> a.getAddress().getHostAddress();
                    case PTRRecord p -> p.getTarget().toString(true);
                    default -> null;
                };
                if (value != null && receive.foundIn(value)) {
                    return ProbeResult.up("negotiate: Success (" + value + ")");
                }
            }
        }
        return ProbeResult.down("negotiate: Response mismatch (receive \"" + (receive.isSet() ? receive.text() : "")
                + "\" matches no A or PTR record of the answer)");
    }
}
