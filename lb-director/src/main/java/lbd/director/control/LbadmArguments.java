package lbd.director.control;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.Endpoints;
import lbd.config.NameResolver;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.director.core.ServiceSettings;
import lbd.director.listing.ListingOptions;

/**
 * lbadm's command line, in ipvsadm's syntax: short flags may be clustered ({@code -Ln}), a flag's value may be
 * attached ({@code -w3}) or the next word, long options take {@code --opt value} or {@code --opt=value}.
 * Hand-parsed because picocli cannot express ipvsadm's "one command letter plus options" grammar with its
 * clustering. Produces the {@link ControlRequest} to send, or a help/version action.
 */
public final class LbadmArguments {

    /** Thrown for bad usage; lbadm prints the message and exits 2, as ipvsadm does. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** What lbadm was asked to do. */
    public sealed interface Action {
    }

    public record Help() implements Action {
    }

    public record Version() implements Action {
    }

    public record Send(Path socket, ControlRequest request) implements Action {
    }

    /** {@code lbadm -R}: read ipvsadm rules ({@code -S}'s output) on standard input and make the table so. */
    public record Restore(Path socket) implements Action {
    }

    private static final String VALUE_LETTERS = "turswxyMb";
    private static final Map<String, String> LONG = Map.ofEntries(
            Map.entry("--list", "-L"), Map.entry("--numeric", "-n"), Map.entry("--tcp-service", "-t"),
            Map.entry("--udp-service", "-u"), Map.entry("--real-server", "-r"), Map.entry("--scheduler", "-s"),
            Map.entry("--weight", "-w"), Map.entry("--gatewaying", "-g"), Map.entry("--masquerading", "-m"),
            Map.entry("--ipip", "-i"), Map.entry("--add-server", "-a"), Map.entry("--edit-server", "-e"),
            Map.entry("--delete-server", "-d"), Map.entry("--edit-service", "-E"), Map.entry("--help", "-h"),
            Map.entry("--version", "-v"), Map.entry("--add-service", "-A"), Map.entry("--delete-service", "-D"),
            Map.entry("--clear", "-C"), Map.entry("--zero", "-Z"), Map.entry("--save", "-S"),
            Map.entry("--restore", "-R"), Map.entry("--fwmark-service", "-f"), Map.entry("--persistent", "-p"),
            Map.entry("--connection", "-c"), Map.entry("--u-threshold", "-x"), Map.entry("--l-threshold", "-y"),
            Map.entry("--netmask", "-M"), Map.entry("--sched-flags", "-b"));

    private LbadmArguments() {
    }

    public static Action parse(String[] args) throws UsageException {
        Character command = null;
        Path socket = ControlServer.DEFAULT_PATH;
        boolean numeric = false;
        boolean stats = false;
        boolean rate = false;
        boolean exact = false;
        boolean noSort = false;
        boolean persistentConn = false;
        boolean thresholds = false;
        String upper = null;
        String lower = null;
        boolean connections = false;
        boolean timeouts = false;
        boolean json = false;
        String[] timeoutValues = null;
        String persistence = null; // -p: "" when given without a timeout
        String netmask = null;
        String flags = null;
        String service = null;
        Protocol protocol = null;
        String real = null;
        String scheduler = null;
        Integer weight = null;
        ForwardingMethod forwarding = null;

        List<String> words = expand(args);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            String value = null;
            if (w.startsWith("-") && w.length() == 2 && VALUE_LETTERS.indexOf(w.charAt(1)) >= 0
                    || w.equals("--socket")) {
                if (i + 1 >= words.size()) {
                    throw new UsageException("option " + w + " needs a value");
                }
                value = words.get(++i);
            }
            switch (w) {
                case "-L", "-l" -> command = setCommand(command, 'L');
                case "-S" -> command = setCommand(command, 'S');
                case "-a", "-e", "-d", "-E", "-Z" -> command = setCommand(command, w.charAt(1));
                case "--reload" -> command = setCommand(command, 'R');
                case "--set" -> {
                    command = setCommand(command, 'T');
                    if (words.size() - i - 1 < 3) {
                        throw new UsageException("--set option requires 3 timeout values");
                    }
                    timeoutValues = new String[] {words.get(i + 1), words.get(i + 2), words.get(i + 3)};
                    i += 3;
                }
                case "--timeout" -> timeouts = true;
                case "--json" -> json = true;
                case "-h" -> {
                    return new Help();
                }
                case "-v" -> {
                    return new Version();
                }
                case "-n" -> numeric = true;
                case "--stats" -> stats = true;
                case "--rate" -> rate = true;
                case "--exact" -> exact = true;
                case "--nosort" -> noSort = true;
                case "--persistent-conn" -> persistentConn = true;
                case "--thresholds" -> thresholds = true;
                case "-x" -> upper = value;
                case "-y" -> lower = value;
                case "--socket" -> socket = Path.of(value);
                case "-t", "-u" -> {
                    if (service != null) {
                        throw new UsageException("give one virtual service (-t or -u), not two");
                    }
                    service = value;
                    protocol = w.equals("-t") ? Protocol.TCP : Protocol.UDP;
                }
                case "-r" -> real = value;
                case "-s" -> scheduler = value;
                case "-w" -> weight = parseWeight(value);
                case "-g" -> forwarding = ForwardingMethod.GATE;
                case "-m" -> forwarding = ForwardingMethod.MASQ;
                case "-i" -> forwarding = ForwardingMethod.IPIP;
                case "-A", "-D", "-C" -> command = setCommand(command, w.charAt(1));
                case "-R" -> command = setCommand(command, 'X');
                case "-p" -> {
                    // An optional value, as ipvsadm's: the next word when it is a number, else 300 s.
                    if (i + 1 < words.size() && !words.get(i + 1).startsWith("-")) {
                        persistence = words.get(++i);
                    } else {
                        persistence = "";
                    }
                }
                case "-M" -> netmask = value;
                case "-b" -> flags = value;
                case "-c" -> connections = true;
                case "-f" -> throw new UsageException(w + " is not supported by lbadm: lbd has no firewall-mark"
                        + " services");
                default -> throw new UsageException("unknown option " + w + " (see lbadm --help)");
            }
        }
        if (command == null) {
            throw new UsageException("give a command: -L, -S, -R, -A, -E, -D, -C, -a, -e, -d, -Z, --set or --reload"
                    + " (see lbadm --help)");
        }
        if (stats && rate) {
            throw new UsageException("--stats and --rate cannot be given together");
        }
        if ((upper != null || lower != null) && command != 'a' && command != 'e') {
            throw new UsageException("Illegal '" + (upper != null ? "u-threshold" : "l-threshold")
                    + "' option: -x and -y go with -a or -e");
        }
        ConnectionThresholds limits = thresholds(upper, lower);
        if (connections && command != 'L') {
            throw new UsageException("-c (--connection) lists connections: give it with -L");
        }
        if (timeouts && command != 'L') {
            throw new UsageException("--timeout lists the connection timeouts: give it with -L");
        }
        // ipvsadm's rule: -c and --timeout list something else than the table's columns.
        if ((connections || timeouts) && (stats || rate || thresholds) || timeouts && (persistentConn || connections)) {
            throw new UsageException("options conflicts in the list command");
        }
        if (json && command != 'L') {
            throw new UsageException("--json goes with the listings (-L, -Lc, -L --timeout); -S writes rules");
        }
        ControlRequest request = switch (command) {
            case 'L' -> timeouts ? new ControlRequest.ListTimeouts(json)
                    : connections ? new ControlRequest.ListConnections(numeric, persistentConn, json)
                    : new ControlRequest.ListTable(new ListingOptions(numeric, stats, rate, exact, noSort, false,
                            persistentConn, thresholds),
                    service == null ? Optional.empty() : Optional.of(serviceKey(protocol, service)), json);
            case 'R' -> new ControlRequest.Reload();
            case 'X' -> null; // -R: see Restore
            case 'C' -> new ControlRequest.Clear();
            case 'D' -> new ControlRequest.DeleteService(serviceKey(protocol,
                    required(service, "-D needs -t or -u VIP:PORT")));
            case 'A', 'E' -> {
                VirtualServiceKey key = serviceKey(protocol, required(service, "-" + command
                        + " needs -t or -u VIP:PORT"));
                ServiceSettings settings = serviceSettings(key, scheduler, persistence, netmask, flags);
                yield command == 'A' ? new ControlRequest.AddService(settings)
                        : new ControlRequest.EditService(settings);
            }
            case 'T' -> {
                try {
                    yield new ControlRequest.SetTimeouts(ControlRequest.timeout(timeoutValues[0]),
                            ControlRequest.timeout(timeoutValues[1]), ControlRequest.timeout(timeoutValues[2]));
                } catch (ControlException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            case 'S' -> {
                if (stats || rate) {
                    throw new UsageException("-S saves the table as rules: --stats and --rate do not apply");
                }
                yield new ControlRequest.ListTable(new ListingOptions(numeric, false, false, false, noSort, true),
                        service == null ? Optional.empty() : Optional.of(serviceKey(protocol, service)));
            }
            case 'Z' -> new ControlRequest.Zero(service == null ? Optional.empty()
                    : Optional.of(serviceKey(protocol, service)));
            default -> {
                VirtualServiceKey key = serviceKey(protocol,
                        required(service, "-" + command + " needs -t or -u VIP:PORT"));
                RealServerKey server = new RealServerKey(key,
                        endpoint(required(real, "-" + command + " needs -r RIP[:PORT]"), key.address().port()));
                yield switch (command) {
                    case 'a' -> new ControlRequest.AddServer(server,
                            forwarding == null ? ForwardingMethod.GATE : forwarding, weight == null ? 1 : weight,
                            limits);
                    case 'e' -> new ControlRequest.SetWeight(server,
                            required(weight, "-e needs -w WEIGHT (the weight and the thresholds are what lbadm can"
                                    + " change)"),
                            Optional.ofNullable(forwarding), limits);
                    default -> new ControlRequest.DeleteServer(server);
                };
            }
        };
        if (command == 'X') {
            return new Restore(socket);
        }
        return new Send(socket, request);
    }

    /**
     * -A and -E as ipvsadm reads them: -s (default wlc), -p [timeout] (default 300), -M (with -p), -b; each value
     * by the same rule as its ldirectord.cf directive.
     */
    private static ServiceSettings serviceSettings(VirtualServiceKey key, String scheduler, String persistence,
                                                   String netmask, String flags) throws UsageException {
        try {
            SchedulerKind kind = scheduler == null ? ServiceSettings.DEFAULT_SCHEDULER
                    : ControlRequest.scheduler(scheduler.trim());
            OptionalInt timeout = persistence == null ? OptionalInt.empty()
                    : OptionalInt.of(persistence.isEmpty() ? ServiceSettings.DEFAULT_PERSISTENCE
                            : ControlRequest.persistence(persistence));
            Optional<String> mask = netmask == null ? Optional.empty()
                    : Optional.of(ControlRequest.netmask(netmask, !key.address().isIpv4()));
            SchedulerFlags schedulerFlags = flags == null ? SchedulerFlags.NONE
                    : ControlRequest.schedulerFlags(flags, kind);
            return new ServiceSettings(key, kind, timeout, mask, schedulerFlags);
        } catch (ControlException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** "-Ln" to "-L" "-n"; "-w3" to "-w" "3"; "--weight=3" to "-w" "3"; long names to their letters. */
    static List<String> expand(String[] args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String name = eq < 0 ? a : a.substring(0, eq);
                out.add(LONG.getOrDefault(name, name));
                if (eq >= 0) {
                    out.add(a.substring(eq + 1));
                }
            } else if (a.startsWith("-") && a.length() > 2) {
                for (int i = 1; i < a.length(); i++) {
                    char c = a.charAt(i);
                    out.add("-" + c);
                    if ((VALUE_LETTERS.indexOf(c) >= 0 || c == 'p' && Character.isDigit(a.charAt(a.length() - 1)))
                            && i + 1 < a.length()) {
                        out.add(a.substring(i + 1));
                        break;
                    }
                }
            } else {
                out.add(a);
            }
        }
        return out;
    }

    private static char setCommand(Character current, char next) throws UsageException {
        if (current != null && current != next) {
            throw new UsageException("give one command at a time (-L, -S, -R, -A, -E, -D, -C, -a, -e, -d, -Z, --set"
                    + " or --reload)");
        }
        return next;
    }

    private static <T> T required(T value, String message) throws UsageException {
        if (value == null) {
            throw new UsageException(message);
        }
        return value;
    }

    /** -x and -y as ipvsadm reads them (0 when not given; 0 to INT_MAX; the lower not above the upper). */
    private static ConnectionThresholds thresholds(String upper, String lower) throws UsageException {
        try {
            return ControlRequest.thresholds(upper == null ? "0" : upper, lower == null ? "0" : lower);
        } catch (ControlException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static int parseWeight(String text) throws UsageException {
        try {
            return ControlRequest.weight(text);
        } catch (ControlException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static VirtualServiceKey serviceKey(Protocol protocol, String text) throws UsageException {
        Endpoint e = endpoint(text, -1);
        return new VirtualServiceKey(protocol, e);
    }

    /**
     * HOST:PORT with a name or a number for each (the same forms and refusals as ldirectord.cf); the port may be
     * left out when {@code defaultPort} >= 0.
     */
    static Endpoint endpoint(String text, int defaultPort) throws UsageException {
        try {
            return Endpoints.parse(text, defaultPort, NameResolver.SYSTEM);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
