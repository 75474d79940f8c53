package lbd.director.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import lbd.config.Endpoints;
import lbd.config.Excerpt;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.director.listing.ListingOptions;

/**
 * One request of the control protocol, and its one-line text form.
 *
 * <p>The protocol (version 1), spoken over the UNIX socket: the client sends one line of UTF-8 text of at most
 * {@value #MAX_LINE} bytes ending in {@code \n} — a verb and space-separated arguments:
 * <pre>
 *   ping
 *   list [numeric] [stats|rate] [exact] [nosort] [rules] [persistent-conn] [tcp|udp VIP:PORT]
 *   set-weight tcp|udp VIP:PORT RIP:PORT WEIGHT [gate|masq|ipip]
 *   add-server tcp|udp VIP:PORT RIP:PORT gate|masq|ipip WEIGHT
 *   delete-server tcp|udp VIP:PORT RIP:PORT
 *   set-scheduler tcp|udp VIP:PORT SCHEDULER
 *   zero [tcp|udp VIP:PORT]
 *   reload
 * </pre>
 * Addresses are numeric ({@code 10.0.0.1:80}, {@code [2001:db8::1]:80}); lbadm resolves names before sending.
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

    record ListTable(ListingOptions options, Optional<VirtualServiceKey> service) implements ControlRequest {
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
            service.ifPresent(s -> words.add(wire(s)));
            return String.join(" ", words);
        }
    }

    /** {@code forwarding}: the method lbadm -e restated (-g, -m, -i), which must be the server's. */
    record SetWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding)
            implements ControlRequest {
        @Override
        public String toLine() {
            return "set-weight " + wire(server.service()) + " " + server.address() + " " + weight
                    + forwarding.map(f -> " " + f.configName()).orElse("");
        }
    }

    record AddServer(RealServerKey server, ForwardingMethod forwarding, int weight) implements ControlRequest {
        @Override
        public String toLine() {
            return "add-server " + wire(server.service()) + " " + server.address() + " "
                    + forwarding.configName() + " " + weight;
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
            case "set-weight" -> {
                if (w.length != 6) {
                    arity(w, 5, "set-weight PROTO VIP:PORT RIP:PORT WEIGHT [FORWARD]");
                }
                yield new SetWeight(server(w), weight(w[4]),
                        w.length == 6 ? Optional.of(forwarding(w[5])) : Optional.empty());
            }
            case "add-server" -> {
                arity(w, 6, "add-server PROTO VIP:PORT RIP:PORT FORWARD WEIGHT");
                yield new AddServer(server(w), forwarding(w[4]), weight(w[5]));
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
        return new ListTable(new ListingOptions(numeric, stats, rate, exact, noSort, rules, persistentConn), service);
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

    private static String wire(VirtualServiceKey key) {
        return key.protocol().name().toLowerCase(Locale.ROOT) + " " + key.address();
    }
}
