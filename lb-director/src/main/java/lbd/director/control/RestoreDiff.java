package lbd.director.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.director.core.ServiceSettings;

/**
 * {@code lbadm -R}: the requests that make the live table what a set of ipvsadm rules ({@code -S}'s output: one
 * {@code -A} line per service, one {@code -a} line per real server) describes — services and servers missing are
 * added, those not in the rules are deleted, changed settings, weights and forwarding methods are edited. Rules
 * equal to the table give no request at all, so {@code lbadm -S | lbadm -R} changes nothing.
 */
public final class RestoreDiff {

    /** Rules as read: services and their real servers, in the order given. */
    public record Rules(Map<VirtualServiceKey, ServiceSettings> services,
                        Map<RealServerKey, ControlRequest.AddServer> servers) {
    }

    private RestoreDiff() {
    }

    /**
     * Reads rules, one per line; blank lines and {@code #} comments are skipped. A line lbadm cannot read, or that
     * is not an {@code -A} or {@code -a} rule, is refused with its line number.
     */
    public static Rules read(String text) throws LbadmArguments.UsageException {
        Map<VirtualServiceKey, ServiceSettings> services = new LinkedHashMap<>();
        Map<RealServerKey, ControlRequest.AddServer> servers = new LinkedHashMap<>();
        List<String> lines = text.lines().toList();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            ControlRequest request;
            try {
                LbadmArguments.Action action = LbadmArguments.parse(line.split("\\s+"));
                if (!(action instanceof LbadmArguments.Send send)) {
                    throw new LbadmArguments.UsageException("not a rule");
                }
                request = send.request();
            } catch (LbadmArguments.UsageException e) {
                throw new LbadmArguments.UsageException("line " + (n + 1) + ": " + e.getMessage());
            }
            switch (request) {
                case ControlRequest.AddService a -> {
                    if (services.put(a.settings().key(), a.settings()) != null) {
                        throw new LbadmArguments.UsageException("line " + (n + 1) + ": Service already exists: "
                                + a.settings().key());
                    }
                }
                case ControlRequest.AddServer a -> {
                    if (!services.containsKey(a.server().service())) {
                        throw new LbadmArguments.UsageException("line " + (n + 1) + ": Service not defined: "
                                + a.server().service());
                    }
                    if (servers.put(a.server(), a) != null) {
                        throw new LbadmArguments.UsageException("line " + (n + 1) + ": Destination already exists: "
                                + a.server().address());
                    }
                }
                default -> throw new LbadmArguments.UsageException("line " + (n + 1)
                        + ": -R restores -A and -a rules (what -S writes), not '" + line + "'");
            }
        }
        return new Rules(services, servers);
    }

    /** What to send, in order, to turn {@code current} into {@code wanted}; empty when they are equal. */
    public static List<ControlRequest> between(Rules current, Rules wanted) {
        List<ControlRequest> out = new ArrayList<>();
        for (VirtualServiceKey key : current.services().keySet()) {
            if (!wanted.services().containsKey(key)) {
                out.add(new ControlRequest.DeleteService(key));
            }
        }
        wanted.services().forEach((key, settings) -> {
            ServiceSettings now = current.services().get(key);
            if (now == null) {
                out.add(new ControlRequest.AddService(settings));
            } else if (!now.equals(settings)) {
                out.add(new ControlRequest.EditService(settings));
            }
        });
        current.servers().forEach((key, now) -> {
            ControlRequest.AddServer want = wanted.servers().get(key);
            if (wanted.services().containsKey(key.service())
                    && (want == null || want.forwarding() != now.forwarding())) {
                out.add(new ControlRequest.DeleteServer(key));
            }
        });
        wanted.servers().forEach((key, want) -> {
            ControlRequest.AddServer now = current.servers().get(key);
            if (now == null || now.forwarding() != want.forwarding()) {
                out.add(want);
            } else if (now.weight() != want.weight()) {
                out.add(new ControlRequest.SetWeight(key, want.weight(), java.util.Optional.empty()));
            }
        });
        return out;
    }
}
