package lbd.director.listing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import lbd.config.model.Protocol;
import lbd.dataplane.counter.RealServerStats;

/**
 * Formats a {@link TableView} exactly as ipvsadm formats its listing, so that scripts written against
 * {@code ipvsadm -Ln} keep working: the same header lines, the same column widths ({@code %-28s %-7s %-6d
 * %-10u %-10u} for real servers, {@code %-33s} plus 9-wide numbers for --stats and --rate), the same K/M/G/T
 * abbreviation of large numbers unless --exact, services and real servers sorted unless --nosort.
 *
 * <p>lbd's additions never move a column: its own first line (name and version instead of the kernel's), a
 * note after InActConn when a health check holds a server down or lbadm set its weight, and a
 * {@code "  -- RIP:port ..."} line (not {@code "  ->"}, so scripts that match real-server lines skip it) for a
 * configured server that a health check took out of the table.
 */
public final class IpvsListing {

    private IpvsListing() {
    }

    public static String format(TableView view, ListingOptions options, AddressNames names, String firstLine) {
        StringBuilder out = new StringBuilder(256);
        List<ServiceView> services = new ArrayList<>(view.services());
        if (!options.noSort()) {
            services.sort(Comparator.comparing(ServiceView::key));
        }
        if (options.rules()) {
            for (ServiceView service : services) {
                rules(out, service, options, names);
            }
            return out.toString();
        }
        out.append(firstLine).append('\n');
        title(out, options);
        for (ServiceView service : services) {
            service(out, service, options, names);
        }
        return out.toString();
    }

    /**
     * ipvsadm -S: one {@code -A} line per service, one {@code -a} line per real server in the table (held-out
     * servers are not in it, so not saved), no title; what {@code -R} reads back. A server with connection
     * thresholds gets {@code -x U -y L} after its weight, which ipvsadm -S would drop.
     */
    private static void rules(StringBuilder out, ServiceView service, ListingOptions options, AddressNames names) {
        String svc = (service.key().protocol() == Protocol.TCP ? "-t " : "-u ")
                + names.name(service.key().address(), service.key().protocol());
        out.append("-A ").append(svc).append(" -s ").append(service.scheduler());
        if (service.persistence().isPresent()) {
            out.append(" -p ").append(service.persistence().getAsInt());
            service.netmask().ifPresent(m -> out.append(" -M ").append(m));
        }
        if (!service.schedulerFlags().isEmpty()) {
            out.append(" -b ").append(service.schedulerFlags());
        }
        out.append('\n');
        List<DestinationView> destinations = new ArrayList<>(service.destinations());
        if (!options.noSort()) {
            destinations.sort(Comparator.comparing(DestinationView::address));
        }
        for (DestinationView d : destinations) {
            out.append("-a ").append(svc).append(" -r ").append(names.name(d.address(), service.key().protocol()))
                    .append(' ').append(switch (d.forwarding()) {
                        case GATE -> "-g";
                        case MASQ -> "-m";
                        case IPIP -> "-i";
                    }).append(" -w ").append(d.weight());
            if (d.thresholds().isSet()) {
                // ipvsadm -S leaves thresholds out (they are lost on -R); lbd saves them, as ipvsadm -a reads them.
                out.append(" -x ").append(d.thresholds().upper()).append(" -y ").append(d.thresholds().lower());
            }
            out.append('\n');
        }
    }

    private static void title(StringBuilder out, ListingOptions options) {
        if (options.stats()) {
            out.append(String.format("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
                    "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"));
        } else if (options.rate()) {
            out.append(String.format("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
                    "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"));
        } else if (options.thresholds()) {
            out.append(String.format("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
                    "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"));
        } else if (options.persistentConn()) {
            out.append(String.format("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
                    "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn"));
        } else {
            out.append("Prot LocalAddress:Port Scheduler Flags\n")
                    .append("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
        }
    }

    private static void service(StringBuilder out, ServiceView service, ListingOptions options, AddressNames names) {
        String name = service.key().protocol().listingName() + "  "
                + names.name(service.key().address(), service.key().protocol());
        if (service.key().address().isIpv4()) {
            name = truncate(name, 33); // ipvsadm cuts IPv4 names at 33 characters to keep its columns
        }
        if (options.stats()) {
            out.append(String.format("%-33s", name));
            stats(out, service.stats(), options.exact());
        } else if (options.rate()) {
            out.append(String.format("%-33s", name));
            Rates r = service.rates();
            largeNumbers(out, options.exact(), r.cps(), r.inPps(), r.outPps(), r.inBps(), r.outBps());
        } else {
            out.append(name).append(' ').append(service.scheduler());
            if (!service.schedulerFlags().isEmpty()) {
                out.append(" (").append(service.schedulerFlags()).append(')');
            }
            if (service.persistence().isPresent()) {
                out.append(" persistent ").append(service.persistence().getAsInt());
                service.netmask().ifPresent(m -> out.append(" mask ").append(m));
            }
        }
        out.append('\n');
        List<DestinationView> destinations = new ArrayList<>(service.destinations());
        if (!options.noSort()) {
            destinations.sort(Comparator.comparing(DestinationView::address));
        }
        for (DestinationView d : destinations) {
            destination(out, d, service, options, names);
        }
        for (HeldOutView h : service.heldOut()) {
            out.append("  -- ").append(names.name(h.address(), service.key().protocol()))
                    .append(" held out of the table by its health check: ").append(h.reason()).append('\n');
        }
    }

    private static void destination(StringBuilder out, DestinationView d, ServiceView service, ListingOptions options,
                                     AddressNames names) {
        String name = names.name(d.address(), service.key().protocol());
        if (d.address().isIpv4()) {
            name = truncate(name, 28);
        }
        if (options.stats()) {
            out.append(String.format("  -> %-28s", name));
            stats(out, d.stats(), options.exact());
        } else if (options.rate()) {
            // ipvsadm prints the three small rates unabbreviated (%8u) and only the byte rates through its
            // large-number formatter.
            Rates r = d.rates();
            out.append(String.format("  -> %-28s %8d %8d %8d", name, r.cps(), r.inPps(), r.outPps()));
            largeNumbers(out, options.exact(), r.inBps(), r.outBps());
        } else if (options.thresholds()) {
            out.append(String.format("  -> %-28s %-10d %-10d %-10d %-10d", name, d.thresholds().upper(),
                    d.thresholds().lower(), d.stats().active(), d.stats().inactive()));
        } else if (options.persistentConn()) {
            out.append(String.format("  -> %-28s %-9d %-11d %-10d %-10d", name, d.weight(), d.persistConns(),
                    d.stats().active(), d.stats().inactive()));
        } else {
            out.append(String.format("  -> %-28s %-7s %-6d %-10d %-10d", name, d.forwarding().listingName(),
                    d.weight(), d.stats().active(), d.stats().inactive()));
            if (!d.note().isEmpty()) {
                out.append(' ').append(d.note());
            }
        }
        out.append('\n');
    }

    private static void stats(StringBuilder out, RealServerStats s, boolean exact) {
        largeNumbers(out, exact, s.connections(), s.packetsIn(), s.packetsOut(), s.bytesIn(), s.bytesOut());
    }

    private static void largeNumbers(StringBuilder out, boolean exact, long... values) {
        for (long v : values) {
            out.append(largeNumber(v, exact));
        }
    }

    /** ipvsadm's print_largenum: 9 characters wide, abbreviated with K, M, G or T above 99,999,999. */
    static String largeNumber(long i, boolean exact) {
        if (exact) {
            String digits = Long.toUnsignedString(i);
            return " ".repeat(Math.max(1, 9 - digits.length())) + digits;
        }
        if (i < 100_000_000L) {
            return String.format("%9d", i);
        } else if (i < 1_000_000_000L) {
            return String.format("%8dK", i / 1_000L);
        } else if (i < 100_000_000_000L) {
            return String.format("%8dM", i / 1_000_000L);
        } else if (i < 100_000_000_000_000L) {
            return String.format("%8dG", i / 1_000_000_000L);
        }
        return String.format("%8dT", i / 1_000_000_000_000L);
    }

    private static String truncate(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }
}
