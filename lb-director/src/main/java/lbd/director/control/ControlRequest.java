package lbd.director.control;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.Endpoints;
import lbd.config.Excerpt;
import lbd.config.ServiceOptions;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.director.core.ServiceSettings;
import lbd.director.listing.ListingOptions;

/**
 * One request of the control protocol, and its one-line text form.
 *
 * <p>The protocol (version 1), spoken over the UNIX socket: the client sends one line of UTF-8 text of at most
 * {@value #MAX_LINE} bytes ending in {@code \n} — a verb and space-separated arguments:
 * <pre>
 *   ping
 *   list [numeric] [stats|rate] [exact] [nosort] [rules] [persistent-conn] [thresholds] [json] [tcp|udp VIP:PORT]
 *   connections [numeric] [persistent-conn] [json]
 *   timeouts [json]
 *   set-timeouts TCP TCPFIN UDP
 *   set-weight tcp|udp VIP:PORT RIP:PORT WEIGHT [gate|masq|ipip] [thresholds UPPER LOWER]
 *   add-server tcp|udp VIP:PORT RIP:PORT gate|masq|ipip WEIGHT [thresholds UPPER LOWER]
 *   delete-server tcp|udp VIP:PORT RIP:PORT
 *   set-scheduler tcp|udp VIP:PORT SCHEDULER
 *   add-service tcp|udp VIP:PORT SCHEDULER [persistent SECONDS [netmask MASK]] [flags FLAG[,FLAG]]
 *   edit-service tcp|udp VIP:PORT SCHEDULER [persistent SECONDS [netmask MASK]] [flags FLAG[,FLAG]]
 *   delete-service tcp|udp VIP:PORT
 *   clear
 *   zero [tcp|udp VIP:PORT]
 *   reload
 *   upgrade [DRAIN_SECONDS]
 * </pre>
 * Without {@code thresholds}, the server's connection thresholds are 0 (none), as ipvsadm -a and -e send them
 * when -x and -y are not given. Addresses are numeric ({@code 10.0.0.1:80}, {@code [2001:db8::1]:80}); lbadm resolves names before sending.
 * The daemon answers {@code OK} or {@code ERR message} on the first line, then the body (a listing, a reload
 * summary), and closes the connection: the end of the stream ends the reply. One request per connection.
 * Whatever of a request an error quotes (in the reply and in lbd's log) is escaped and cut by {@link Excerpt}, so
 * that a hostile client can neither flood the log nor forge lines in it.
 */
public sealed interface ControlRequest {

    int MAX_LINE = 4096;

    /** The line sent on the wire (without the newline). */
    String toLine();

    record Ping() implements ControlRequest {
        @Override
        public String toLine() {
            return "ping";
        }
    }

    /** {@code json}: lbadm --json (see JsonListing). */
    record ListTable(ListingOptions options, Optional<VirtualServiceKey> service, boolean json)
            implements ControlRequest {

        public ListTable(ListingOptions options, Optional<VirtualServiceKey> service) {
            this(options, service, false);
        }

        @Override
        public String toLine() {
            List<String> words = new ArrayList<>(List.of("list"));
            if (options.numeric()) {
                words.add("numeric");
            }
            if (options.stats()) {
                words.add("stats");
            }
            if (options.rules()) {
                words.add("rules");
            }
            if (options.rate()) {
                words.add("rate");
            }
            if (options.exact()) {
                words.add("exact");
            }
            if (options.noSort()) {
                words.add("nosort");
            }
            if (options.persistentConn()) {
                words.add("persistent-conn");
            }
            if (options.thresholds()) {
                words.add("thresholds");
            }
            if (json) {
                words.add("json");
            }
            service.ifPresent(s -> words.add(wire(s)));
            return String.join(" ", words);
        }
    }

    /** {@code lbadm -Lc}: the connection table (proxied connections, DR flows, persistence templates). */
    record ListConnections(boolean numeric, boolean persistentConn, boolean json) implements ControlRequest {
        @Override
        public String toLine() {
            return "connections" + (numeric ? " numeric" : "") + (persistentConn ? " persistent-conn" : "")
                    + (json ? " json" : "");
        }
    }

    /** {@code lbadm -A}: a virtual service with no real servers, until the next reload. */
    record AddService(ServiceSettings settings) implements ControlRequest {
        @Override
        public String toLine() {
            return "add-service " + settingsLine(settings);
        }
    }

    /** {@code lbadm -E}: a service's scheduler, persistence, netmask and flags, all as given. */
    record EditService(ServiceSettings settings) implements ControlRequest {
        @Override
        public String toLine() {
            return "edit-service " + settingsLine(settings);
        }
    }

    /** {@code lbadm -D}. */
    record DeleteService(VirtualServiceKey service) implements ControlRequest {
        @Override
        public String toLine() {
            return "delete-service " + wire(service);
        }
    }

    /** {@code lbadm -C}: every virtual service. */
    record Clear() implements ControlRequest {
        @Override
        public String toLine() {
            return "clear";
        }
    }

    /** {@code lbadm -L --timeout}. */
    record ListTimeouts(boolean json) implements ControlRequest {
        @Override
        public String toLine() {
            return json ? "timeouts json" : "timeouts";
        }
    }

    /** {@code lbadm --set tcp tcpfin udp}: seconds, 0 leaving a timeout as it is. */
    record SetTimeouts(int tcp, int tcpFin, int udp) implements ControlRequest {
        @Override
        public String toLine() {
            return "set-timeouts " + tcp + " " + tcpFin + " " + udp;
        }
    }

    /**
     * {@code lbadm -e}: {@code forwarding} is the method restated (-g, -m, -i), which must be the server's;
     * {@code thresholds} are -x and -y (0 when not given, as ipvsadm -e sends them).
     */
    record SetWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding,
                     ConnectionThresholds thresholds) implements ControlRequest {

        /** Without thresholds (none). */
        public SetWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding) {
            this(server, weight, forwarding, ConnectionThresholds.NONE);
        }

        @Override
        public String toLine() {
            return "set-weight " + wire(server.service()) + " " + server.address() + " " + weight
                    + forwarding.map(f -> " " + f.configName()).orElse("") + wire(thresholds);
        }
    }

    /** {@code lbadm -a}, with -x and -y as {@code thresholds} (0 when not given). */
    record AddServer(RealServerKey server, ForwardingMethod forwarding, int weight, ConnectionThresholds thresholds)
            implements ControlRequest {

        /** Without thresholds (none). */
        public AddServer(RealServerKey server, ForwardingMethod forwarding, int weight) {
            this(server, forwarding, weight, ConnectionThresholds.NONE);
        }

        @Override
        public String toLine() {
            return "add-server " + wire(server.service()) + " " + server.address() + " "
                    + forwarding.configName() + " " + weight + wire(thresholds);
        }
    }

    record DeleteServer(RealServerKey server) implements ControlRequest {
        @Override
        public String toLine() {
            return "delete-server " + wire(server.service()) + " " + server.address();
        }
    }

    record SetScheduler(VirtualServiceKey service, SchedulerKind scheduler) implements ControlRequest {
        @Override
        public String toLine() {
            return "set-scheduler " + wire(service) + " " + scheduler.configName();
        }
    }

    /** {@code lbadm -Z}: the listing's counters (and rates) start again from zero; metrics stay monotonic. */
    record Zero(Optional<VirtualServiceKey> service) implements ControlRequest {
        @Override
        public String toLine() {
            return service.map(s -> "zero " + wire(s)).orElse("zero");
        }
    }

    record Reload() implements ControlRequest {
        @Override
        public String toLine() {
            return "reload";
        }
    }

    /**
     * {@code lbd upgrade}: a new lbd takes over from this one (lbd.director.upgrade), which then drains its open
     * connections for at most {@code drainSeconds}.
     */
    record Upgrade(int drainSeconds) implements ControlRequest {

        /** The old process's drain unless told: long, as its keep-alive clients end their connections themselves. */
        public static final int DEFAULT_DRAIN_SECONDS = 120;
        public static final int MAX_DRAIN_SECONDS = 86_400;

        public Upgrade {
            if (drainSeconds < 0 || drainSeconds > MAX_DRAIN_SECONDS) {
                throw new ControlException("drain must be 0 to " + MAX_DRAIN_SECONDS + " seconds: " + drainSeconds);
            }
        }

        @Override
        public String toLine() {
            return "upgrade " + drainSeconds;
        }
    }

    /** Parses one request line; a malformed one throws {@link ControlException} saying what is wrong. */
    static ControlRequest parse(String line) {
        String[] w = line.strip().split(" +");
        if (w.length == 0 || w[0].isEmpty()) {
            throw new ControlException("empty request");
        }
        return switch (w[0]) {
            case "ping" -> {
                arity(w, 1, "ping");
                yield new Ping();
            }
            case "list" -> parseList(w);
            case "connections" -> {
                boolean numeric = false;
                boolean persistentConn = false;
                boolean json = false;
                for (int i = 1; i < w.length; i++) {
                    switch (w[i]) {
                        case "numeric" -> numeric = true;
                        case "persistent-conn" -> persistentConn = true;
                        case "json" -> json = true;
                        default -> throw new ControlException("connections: unknown option '" + Excerpt.of(w[i])
                                + "'");
                    }
                }
                yield new ListConnections(numeric, persistentConn, json);
            }
            case "add-service", "edit-service" -> {
                if (w.length < 4) {
                    arity(w, 4, w[0] + " PROTO VIP:PORT SCHEDULER [persistent N [netmask M]] [flags F]");
                }
                ServiceSettings settings = settings(w);
                yield w[0].equals("add-service") ? new AddService(settings) : new EditService(settings);
            }
            case "delete-service" -> {
                arity(w, 3, "delete-service PROTO VIP:PORT");
                yield new DeleteService(serviceKey(w[1], w[2]));
            }
            case "clear" -> {
                arity(w, 1, "clear");
                yield new Clear();
            }
            case "timeouts" -> {
                if (w.length == 2 && w[1].equals("json")) {
                    yield new ListTimeouts(true);
                }
                arity(w, 1, "timeouts [json]");
                yield new ListTimeouts(false);
            }
            case "set-timeouts" -> {
                arity(w, 4, "set-timeouts TCP TCPFIN UDP");
                yield new SetTimeouts(timeout(w[1]), timeout(w[2]), timeout(w[3]));
            }
            case "set-weight" -> {
                String usage = "set-weight PROTO VIP:PORT RIP:PORT WEIGHT [FORWARD] [thresholds UPPER LOWER]";
                int end = w.length;
                ConnectionThresholds thresholds = ConnectionThresholds.NONE;
                if (end >= 8 && w[end - 3].equals("thresholds")) {
                    thresholds = thresholds(w[end - 2], w[end - 1]);
                    end -= 3;
                }
                if (end != 6) {
                    arity(Arrays.copyOf(w, end), 5, usage);
                }
                yield new SetWeight(server(w), weight(w[4]),
                        end == 6 ? Optional.of(forwarding(w[5])) : Optional.empty(), thresholds);
            }
            case "add-server" -> {
                String usage = "add-server PROTO VIP:PORT RIP:PORT FORWARD WEIGHT [thresholds UPPER LOWER]";
                ConnectionThresholds thresholds = ConnectionThresholds.NONE;
                if (w.length == 9 && w[6].equals("thresholds")) {
                    thresholds = thresholds(w[7], w[8]);
                    arity(Arrays.copyOf(w, 6), 6, usage);
                } else {
                    arity(w, 6, usage);
                }
                yield new AddServer(server(w), forwarding(w[4]), weight(w[5]), thresholds);
            }
            case "delete-server" -> {
                arity(w, 4, "delete-server PROTO VIP:PORT RIP:PORT");
                yield new DeleteServer(server(w));
            }
            case "set-scheduler" -> {
                arity(w, 4, "set-scheduler PROTO VIP:PORT SCHEDULER");
                yield new SetScheduler(serviceKey(w[1], w[2]), scheduler(w[3]));
            }
            case "zero" -> {
                if (w.length == 1) {
                    yield new Zero(Optional.empty());
                }
                arity(w, 3, "zero [PROTO VIP:PORT]");
                yield new Zero(Optional.of(serviceKey(w[1], w[2])));
            }
            case "reload" -> {
                arity(w, 1, "reload");
                yield new Reload();
            }
            case "upgrade" -> {
                if (w.length == 1) {
                    yield new Upgrade(Upgrade.DEFAULT_DRAIN_SECONDS);
                }
                arity(w, 2, "upgrade [DRAIN_SECONDS]");
                yield new Upgrade(drainSeconds(w[1]));
            }
            default -> throw new ControlException("unknown request '" + Excerpt.of(w[0]) + "'");
        };
    }

    private static ControlRequest parseList(String[] w) {
        boolean numeric = false;
        boolean stats = false;
        boolean rate = false;
        boolean exact = false;
        boolean noSort = false;
        boolean rules = false;
        boolean persistentConn = false;
        boolean thresholds = false;
        boolean json = false;
        Optional<VirtualServiceKey> service = Optional.empty();
        for (int i = 1; i < w.length; i++) {
            switch (w[i]) {
                case "numeric" -> numeric = true;
                case "stats" -> stats = true;
                case "rate" -> rate = true;
                case "exact" -> exact = true;
                case "nosort" -> noSort = true;
                case "rules" -> rules = true;
                case "persistent-conn" -> persistentConn = true;
                case "thresholds" -> thresholds = true;
                case "json" -> json = true;
                case "tcp", "udp" -> {
                    if (i + 1 >= w.length) {
                        throw new ControlException("list: " + w[i] + " needs VIP:PORT");
                    }
                    service = Optional.of(serviceKey(w[i], w[i + 1]));
                    i++;
                }
                default -> throw new ControlException("list: unknown option '" + Excerpt.of(w[i]) + "'");
            }
        }
        if (stats && rate) {
            throw new ControlException("list: give stats or rate, not both");
        }
        if (rules && (stats || rate)) {
            throw new ControlException("list: rules cannot be given with stats or rate");
        }
        if (rules && json) {
            throw new ControlException("list: rules cannot be given with json");
        }
        return new ListTable(new ListingOptions(numeric, stats, rate, exact, noSort, rules, persistentConn,
                thresholds), service, json);
    }

    /** "PROTO VIP:PORT SCHEDULER [persistent N [netmask M]] [flags F]" from w[1] on. */
    private static ServiceSettings settings(String[] w) {
        VirtualServiceKey key = serviceKey(w[1], w[2]);
        SchedulerKind scheduler = scheduler(w[3]);
        OptionalInt persistence = OptionalInt.empty();
        Optional<String> netmask = Optional.empty();
        SchedulerFlags flags = SchedulerFlags.NONE;
        for (int i = 4; i < w.length; i += 2) {
            if (i + 1 >= w.length) {
                throw new ControlException(w[0] + ": " + Excerpt.of(w[i]) + " needs a value");
            }
            String value = w[i + 1];
            switch (w[i]) {
                case "persistent" -> persistence = OptionalInt.of(persistence(value));
                case "netmask" -> netmask = Optional.of(netmask(value, !key.address().isIpv4()));
                case "flags" -> flags = schedulerFlags(value, scheduler);
                default -> throw new ControlException(w[0] + ": unknown option '" + Excerpt.of(w[i]) + "'");
            }
        }
        return new ServiceSettings(key, scheduler, persistence, netmask, flags);
    }

    private static String settingsLine(ServiceSettings s) {
        StringBuilder b = new StringBuilder(wire(s.key())).append(' ').append(s.scheduler().configName());
        s.persistence().ifPresent(p -> b.append(" persistent ").append(p));
        s.netmask().ifPresent(m -> b.append(" netmask ").append(m));
        if (s.flags().any()) {
            b.append(" flags ").append(s.flags().listed(s.scheduler()));
        }
        return b.toString();
    }

    /** -p's timeout: 1 s to 31 days (ipvsadm's parse_timeout), with ipvsadm's message otherwise. */
    static int persistence(String text) {
        try {
            int t = Integer.parseInt(text);
            if (t >= 1 && t <= ConnectionTimeouts.MAX_SECONDS) {
                return t;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ControlException("invalid timeout value `" + Excerpt.of(text) + "' specified");
    }

    static String netmask(String text, boolean ipv6) {
        try {
            return ServiceOptions.netmask(text, ipv6);
        } catch (IllegalArgumentException e) {
            throw new ControlException("-M " + e.getMessage());
        }
    }

    static SchedulerFlags schedulerFlags(String text, SchedulerKind scheduler) {
        try {
            return ServiceOptions.schedulerFlags(text, scheduler);
        } catch (IllegalArgumentException e) {
            throw new ControlException("-b: " + e.getMessage());
        }
    }

    private static void arity(String[] w, int n, String usage) {
        if (w.length != n) {
            throw new ControlException(w[0] + ": expected '" + usage + "'");
        }
    }

    private static RealServerKey server(String[] w) {
        return new RealServerKey(serviceKey(w[1], w[2]), endpoint(w[3]));
    }

    /** "tcp" or "udp" and VIP:PORT. */
    static VirtualServiceKey serviceKey(String protocol, String address) {
        Protocol p = switch (protocol.toLowerCase(Locale.ROOT)) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw new ControlException("unknown protocol '" + Excerpt.of(protocol) + "' (tcp or udp)");
        };
        return new VirtualServiceKey(p, endpoint(address));
    }

    /** A numeric {@code 10.0.0.1:80} or {@code [2001:db8::1]:80}: lbadm resolved any names before sending. */
    static Endpoint endpoint(String text) {
        try {
            return Endpoints.parse(text, -1, Endpoints.NUMERIC_ONLY);
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage());
        }
    }

    static int drainSeconds(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ControlException("drain must be a number of seconds: '" + Excerpt.of(text) + "'");
        }
    }

    static int weight(String text) {
        try {
            int w = Integer.parseInt(text);
            if (w >= 0 && w <= 65535) {
                return w;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ControlException("weight '" + Excerpt.of(text) + "' is not a number from 0 to 65535");
    }

    /**
     * A timeout of {@code --set}: whole seconds from 0 (leave it as it is) to 31 days, with ipvsadm's message
     * otherwise.
     */
    static int timeout(String text) {
        try {
            int t = Integer.parseInt(text);
            if (t >= 0 && t <= ConnectionTimeouts.MAX_SECONDS) {
                return t;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ControlException("invalid timeout value `" + Excerpt.of(text) + "' specified");
    }

    /** ipvsadm -x and -y: each 0 to INT_MAX (ipvsadm's range), the lower not above the upper (the kernel's). */
    static ConnectionThresholds thresholds(String upper, String lower) {
        int u = threshold(upper, "illegal u_threshold specified");
        int l = threshold(lower, "illegal l_threshold specified");
        String problem = ConnectionThresholds.problem(u, l);
        if (problem != null) {
            throw new ControlException(problem);
        }
        return new ConnectionThresholds(u, l);
    }

    /** One threshold, 0 to INT_MAX; else ipvsadm's message for it. */
    static int threshold(String text, String illegal) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ControlException(illegal + ": '" + Excerpt.of(text) + "' is not a number from 0 to "
                + Integer.MAX_VALUE);
    }

    static ForwardingMethod forwarding(String text) {
        for (ForwardingMethod f : ForwardingMethod.values()) {
            if (f.configName().equalsIgnoreCase(text)) {
                return f;
            }
        }
        throw new ControlException("forwarding method '" + Excerpt.of(text) + "' is not gate, masq or ipip");
    }

    static SchedulerKind scheduler(String text) {
        // Exact names, as the kernel's modules are (ipvsadm -s MH: "Scheduler not found").
        SchedulerKind kind = SchedulerKind.fromConfigName(text).filter(k -> k.configName().equals(text))
                .orElseThrow(() -> new ControlException("Scheduler not found: '" + Excerpt.of(text) + "'"));
        return kind;
    }

    /** " thresholds U L", or nothing for none. */
    private static String wire(ConnectionThresholds t) {
        return t.isSet() ? " thresholds " + t.upper() + " " + t.lower() : "";
    }

    private static String wire(VirtualServiceKey key) {
        return key.protocol().name().toLowerCase(Locale.ROOT) + " " + key.address();
    }
}
