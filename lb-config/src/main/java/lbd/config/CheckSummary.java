package lbd.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.HealthCheck;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.RealServer;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualService;

/**
 * The text {@code lbd --check} prints for a valid configuration: the services as {@code ipvsadm -Ln} would
 * list them once every real server is up (last-added first), each followed by what is in force for it — the
 * scheduler and its flags, persistence, connection thresholds — on lines that begin with {@code "  = "} (so that
 * scripts matching ipvsadm's {@code "  -> "} lines skip them), then a one-line count.
 */
public final class CheckSummary {

    private CheckSummary() {
    }

    public static String format(ClusterConfig config) {
        StringBuilder out = new StringBuilder();
        int reals = 0;
        Set<String> checks = new LinkedHashSet<>();
        for (VirtualService vs : config.virtualServices()) {
            out.append(vs.protocol().listingName()).append("  ").append(vs.address()).append(' ')
                    .append(vs.scheduler().configName());
            if (vs.schedulerFlags().any()) {
                out.append(" (").append(vs.schedulerFlags().listed(vs.scheduler())).append(')');
            }
            vs.persistence().ifPresent(p -> out.append(" persistent ").append(p));
            vs.listedNetmask().ifPresent(m -> out.append(" mask ").append(m));
            out.append('\n');
            for (RealServer rs : vs.ipvsOrder()) {
                out.append(String.format(Locale.ROOT, "  -> %-28s %-7s %d",
                        rs.address(), rs.forwarding().listingName(), rs.weight()));
                if (rs.thresholds().isSet()) {
                    // What overloads the server, and when it returns (a lower of 0 means 3/4 of the upper).
                    out.append(" thresholds u:").append(rs.thresholds().upper()).append(" l:")
                            .append(rs.thresholds().lower());
                }
                out.append('\n');
            }
            if (vs.realServers().isEmpty()) {
                out.append("  (no real servers: ")
                        .append(vs.fallback().map(f -> "everything goes to the fallback " + f.address())
                                .orElse("connections are refused"))
                        .append(")\n");
            }
            inForce(out, vs);
            clientAddress(out, vs.nat());
            if (!vs.alsoListen().isEmpty()) {
                out.append("  = also on ").append(String.join(", ", vs.alsoListen().stream()
                        .map(k -> k.address().toString()).toList()))
                        .append(": the same real servers (at the port the client used), scheduler and persistence\n");
            }
            reals += vs.realServers().size();
            checks.add(describe(vs.healthCheck()));
        }
        int services = config.virtualServices().size();
        out.append(plural(reals, "real server")).append(" in ").append(plural(services, "virtual service"));
        if (!checks.isEmpty()) {
            out.append("; checks: ").append(String.join(", ", checks));
        }
        out.append('\n');
        return out.toString();
    }

    /** The scheduler (and flags), persistence and thresholds in force for {@code vs}, one line each. */
    private static void inForce(StringBuilder out, VirtualService vs) {
        SchedulerKind s = vs.scheduler();
        out.append("  = scheduler ").append(s.configName()).append(": ").append(s.meaning());
        if (s == SchedulerKind.MH) {
            out.append(", ").append(vs.mhTableSize()).append(" slots");
        }
        SchedulerFlags f = vs.schedulerFlags();
        if (f.fallback()) {
            out.append("; ").append(f.listed(s).split(",")[0])
                    .append(": a client whose server is unavailable goes to the next usable one");
        }
        if (f.port()) {
            out.append("; ").append(s.configName()).append("-port: the client's source port is hashed too");
        }
        out.append('\n');
        out.append("  = persistence: ");
        if (vs.persistence().isPresent()) {
            boolean ipv6 = vs.address().address() instanceof java.net.Inet6Address;
            String network = vs.netmask().map(m -> ipv6 ? "/" + m : m).orElse(ipv6 ? "/128" : "255.255.255.255");
            out.append(vs.persistence().getAsInt()).append(" s per client network (netmask ").append(network)
                    .append("): its connections go to one real server while its template lives\n");
        } else {
            out.append("none (each connection is scheduled)\n");
        }
        List<String> thresholds = new ArrayList<>();
        for (RealServer rs : vs.ipvsOrder()) {
            ConnectionThresholds t = rs.thresholds();
            if (t.isSet()) {
                int back = t.lower() != 0 ? t.lower() : t.upper() - t.upper() / 4; // below 3/4 of upper
                thresholds.add(rs.address() + " full at " + t.upper() + ", back below " + back);
            }
        }
        out.append("  = connection thresholds: ").append(thresholds.isEmpty() ? "none" : String.join("; ", thresholds))
                .append('\n');
    }

    /** What a real server learns of the client, and where lbd connects from, when the service says (NAT only). */
    private static void clientAddress(StringBuilder out, NatOptions nat) {
        List<String> parts = new ArrayList<>();
        if (nat.acceptProxy()) {
            parts.add("taken from the PROXY header of an upstream hop (acceptproxy=yes)");
        }
        if (nat.transparent()) {
            parts.add("real servers see it as the source of lbd's connections (transparent=yes: this director must"
                    + " be their gateway, with scripts/nat-director-setup.sh start)");
        }
        if (nat.proxyProtocol() != ProxyProtocol.OFF) {
            parts.add("sent in a PROXY " + nat.proxyProtocol().name().toLowerCase(Locale.ROOT)
                    + " header before the client's bytes (proxyprotocol=; the real servers must expect it)");
        }
        if (!parts.isEmpty()) {
            out.append("  = client address: ").append(String.join("; ", parts)).append('\n');
        }
        if (!nat.sourceAddresses().isEmpty()) {
            out.append("  = source addresses: ").append(String.join(", ", nat.sourceAddresses().stream()
                    .map(java.net.InetAddress::getHostAddress).toList()))
                    .append(" in turn, each with its own local ports per real server (sourceaddress=)\n");
        }
    }

    private static String describe(HealthCheck h) {
        String service = h.service().configName();
        String what = switch (h.type()) {
            case NEGOTIATE -> "negotiate " + service;
            case COMBINED -> h.connectChecksPerNegotiate() + " connect then negotiate " + service;
            case EXTERNAL -> "external " + h.checkCommand().orElse("/bin/true");
            case ON -> "on (always up)";
            case OFF -> "off (never up)";
            default -> h.type().name().toLowerCase(Locale.ROOT).replace('_', '-');
        };
        if (h.type() == lbd.config.model.CheckType.ON || h.type() == lbd.config.model.CheckType.OFF) {
            return what;
        }
        return what + " every " + h.checkInterval().toSeconds() + "s";
    }

    private static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
