package lbd.director.listing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import lbd.config.model.RealServerKey;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.director.core.Transition;
import lbd.director.ha.HaStatus;
import lbd.config.model.Endpoint;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.table.ConnectionTimeouts;

/**
 * {@code lbadm --json}: every listing as one JSON object for scripts, schema version {@value #SCHEMA}. Written with
 * Jackson's streaming generator. Addresses are always numeric; every object carries {@code "schema"} and
 * {@code "kind"}. Within a version, fields are only ever added: a script that reads version 1 keeps working; a
 * field removed or changed in meaning bumps the version. The schema is documented in the README (lbadm --json).
 */
public final class JsonListing {

    /** The schema's version. */
    public static final int SCHEMA = 1;

    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonListing() {
    }

    /** {@code lbadm -L --json}: services, their real servers (counters, rates, notes) and held-out servers. */
    public static String table(TableView view, boolean noSort) {
        return table(view, noSort, Optional.empty());
    }

    /**
     * As above, then {@code directRouting} (as in the status kind) when a gate service runs: the DR counters reach
     * lbadm as they reach the metrics.
     */
    public static String table(TableView view, boolean noSort, Optional<DirectRoutingView> directRouting) {
        return write(g -> {
            start(g, "table");
            services(g, view, noSort, null);
            if (directRouting.isPresent()) {
                directRouting(g, directRouting.get());
            }
            g.writeEndObject();
        });
    }

    /**
     * The status page's data ({@code GET /status.json} on the metrics port): the {@code table} kind's services,
     * each object with more fields — a service's {@code checkIntervalSeconds} and {@code history}, a server's
     * {@code state} ("up", "down", "drained", "fallback"; "held out" in {@code heldOut}), {@code lastCheckSeconds}
     * and {@code history} ({@code cps} and {@code bytesPerSecond}, one value per {@code sampleSeconds}, oldest
     * first) — then {@code transitions} (oldest first), {@code ha} and {@code directRouting} (null when not
     * running).
     */
    public static String status(StatusView status) {
        return write(g -> {
            start(g, "status");
            g.writeStringField("version", status.version());
            g.writeNumberField("time", status.at().toEpochMilli());
            g.writeNumberField("sampleSeconds", RateEstimator.INTERVAL.toSeconds());
            services(g, status.table(), false, status);
            g.writeArrayFieldStart("transitions");
            for (Transition t : status.transitions()) {
                g.writeStartObject();
                g.writeNumberField("time", t.at().toEpochMilli());
                g.writeObjectFieldStart("service");
                service(g, t.service());
                g.writeEndObject();
                g.writeStringField("server", t.server());
                g.writeStringField("state", t.state());
                g.writeStringField("reason", t.reason());
                g.writeEndObject();
            }
            g.writeEndArray();
            if (status.ha().isPresent()) {
                HaStatus ha = status.ha().get();
                g.writeObjectFieldStart("ha");
                g.writeStringField("node", ha.node());
                g.writeStringField("role", lower(ha.role()));
                g.writeNumberField("since", ha.since().toEpochMilli());
                g.writeStringField("reason", ha.reason());
                g.writeStringField("peer", ha.peer());
                g.writeStringField("peerState", lower(ha.peerState()));
                g.writeStringField("peerRole", ha.peerRole() == null ? null : lower(ha.peerRole()));
                g.writeNumberField("transitions", ha.transitions());
                g.writeNumberField("heartbeatsDropped", ha.dropped());
                g.writeEndObject();
            } else {
                g.writeNullField("ha");
            }
            if (status.directRouting().isPresent()) {
                directRouting(g, status.directRouting().get());
            } else {
                g.writeNullField("directRouting");
            }
            g.writeEndObject();
        });
    }

    private static void services(JsonGenerator g, TableView view, boolean noSort, StatusView status)
            throws IOException {
        List<ServiceView> services = new ArrayList<>(view.services());
        if (!noSort) {
            services.sort(Comparator.comparing(ServiceView::key));
        }
        g.writeArrayFieldStart("services");
        for (ServiceView s : services) {
            g.writeStartObject();
            service(g, s.key());
            g.writeStringField("scheduler", s.scheduler());
            g.writeStringField("flags", s.schedulerFlags());
            if (s.persistence().isPresent()) {
                g.writeNumberField("persistent", s.persistence().getAsInt());
            } else {
                g.writeNullField("persistent");
            }
            g.writeStringField("netmask", s.netmask().orElse(null));
            stats(g, s.stats());
            rates(g, s.rates());
            if (status != null) {
                Duration interval = status.checkIntervals().get(s.key());
                if (interval != null) {
                    g.writeNumberField("checkIntervalSeconds", interval.toMillis() / 1000.0);
                } else {
                    g.writeNullField("checkIntervalSeconds");
                }
                RateHistory.Series total = RateHistory.Series.EMPTY;
                for (DestinationView d : s.destinations()) {
                    total = total.plus(status.history().getOrDefault(new RealServerKey(s.key(), d.address()),
                            RateHistory.Series.EMPTY));
                }
                history(g, total);
            }
            List<DestinationView> servers = new ArrayList<>(s.destinations());
            if (!noSort) {
                servers.sort(Comparator.comparing(DestinationView::address));
            }
            g.writeArrayFieldStart("servers");
            for (DestinationView d : servers) {
                g.writeStartObject();
                endpoint(g, d.address());
                g.writeStringField("forward", d.forwarding().configName());
                g.writeNumberField("weight", d.weight());
                g.writeBooleanField("up", d.up());
                g.writeNumberField("activeConnections", d.stats().active());
                g.writeNumberField("inactiveConnections", d.stats().inactive());
                g.writeNumberField("persistentConnections", d.persistConns());
                g.writeNumberField("upperThreshold", d.thresholds().upper());
                g.writeNumberField("lowerThreshold", d.thresholds().lower());
                g.writeStringField("note", d.note());
                stats(g, d.stats());
                rates(g, d.rates());
                if (status != null) {
                    RealServerKey key = new RealServerKey(s.key(), d.address());
                    g.writeStringField("state", d.state());
                    lastCheck(g, status.lastCheck().get(key));
                    history(g, status.history().getOrDefault(key, RateHistory.Series.EMPTY));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("heldOut");
            for (HeldOutView h : s.heldOut()) {
                g.writeStartObject();
                endpoint(g, h.address());
                g.writeStringField("reason", h.reason());
                if (status != null) {
                    g.writeStringField("state", "held out");
                    lastCheck(g, status.lastCheck().get(new RealServerKey(s.key(), h.address())));
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void lastCheck(JsonGenerator g, Duration took) throws IOException {
        if (took == null) {
            g.writeNullField("lastCheckSeconds");
        } else {
            g.writeNumberField("lastCheckSeconds", took.toNanos() / 1e9);
        }
    }

    private static void history(JsonGenerator g, RateHistory.Series series) throws IOException {
        g.writeObjectFieldStart("history");
        g.writeFieldName("cps");
        g.writeArray(series.cps(), 0, series.cps().length);
        g.writeFieldName("bytesPerSecond");
        g.writeArray(series.bytesPerSecond(), 0, series.bytesPerSecond().length);
        g.writeEndObject();
    }

    /**
     * {@code directRouting}: frames {@code received}, {@code forwarded} (of which {@code sentThroughAfXdp}),
     * {@code deliveredLocally}, {@code dropped} by reason and their total {@code droppedTotal}, {@code replies} by
     * kind, {@code halfOpenEvicted}, {@code udpEvicted}, the flow tables' {@code flows} and {@code flowCapacity}
     * summed, and {@code unresolved}: the gate real servers held down for want of a MAC address. The same
     * classification as the metrics (DrStats.kind).
     */
    private static void directRouting(JsonGenerator g, DirectRoutingView dr) throws IOException {
        DrTotals totals = DrTotals.of(dr.frames());
        g.writeObjectFieldStart("directRouting");
        g.writeNumberField("received", totals.received());
        g.writeNumberField("forwarded", totals.forwarded());
        g.writeNumberField("sentThroughAfXdp", totals.sentThroughAfXdp());
        g.writeNumberField("deliveredLocally", totals.deliveredLocally());
        g.writeObjectFieldStart("dropped");
        for (Map.Entry<String, Long> e : totals.dropped().entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        g.writeNumberField("droppedTotal", totals.droppedTotal());
        g.writeObjectFieldStart("replies");
        for (Map.Entry<String, Long> e : totals.replies().entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        g.writeNumberField("halfOpenEvicted", totals.halfOpenEvicted());
        g.writeNumberField("udpEvicted", totals.udpEvicted());
        g.writeNumberField("flows", dr.flows().stream().mapToLong(FlowOccupancy::flows).sum());
        g.writeNumberField("flowCapacity", dr.flows().stream().mapToLong(FlowOccupancy::capacity).sum());
        g.writeArrayFieldStart("unresolved");
        List<RealServerKey> unresolved = new ArrayList<>();
        dr.neighbours().forEach((key, resolved) -> {
            if (!resolved) {
                unresolved.add(key);
            }
        });
        unresolved.sort(Comparator.comparing(RealServerKey::service).thenComparing(RealServerKey::address));
        for (RealServerKey key : unresolved) {
            g.writeStartObject();
            g.writeObjectFieldStart("service");
            service(g, key.service());
            g.writeEndObject();
            endpoint(g, key.address());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** {@code lbadm -Lc --json}: the connection table, with how many entries there are and how many are listed. */
    public static String connections(ConnectionEntries table) {
        return write(g -> {
            start(g, "connections");
            g.writeNumberField("total", table.total());
            g.writeNumberField("listed", table.listed().size());
            g.writeArrayFieldStart("connections");
            for (ConnectionEntry e : table.listed()) {
                g.writeStartObject();
                g.writeStringField("protocol", e.service().protocol().name().toLowerCase(Locale.ROOT));
                g.writeStringField("state", e.state());
                g.writeNumberField("expiresSeconds", e.expiresMillis() / 1000);
                g.writeObjectFieldStart("source");
                endpoint(g, e.client());
                g.writeEndObject();
                g.writeObjectFieldStart("virtual");
                endpoint(g, e.service().address());
                g.writeEndObject();
                g.writeObjectFieldStart("destination");
                endpoint(g, e.destination());
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** {@code lbadm -L --timeout --json}. */
    public static String timeouts(ConnectionTimeouts t) {
        return write(g -> {
            start(g, "timeouts");
            g.writeNumberField("tcp", t.tcpSeconds());
            g.writeNumberField("tcpfin", t.tcpFinSeconds());
            g.writeNumberField("udp", t.udpSeconds());
            g.writeEndObject();
        });
    }

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Body body) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.append('\n').toString();
    }

    private static void start(JsonGenerator g, String kind) throws IOException {
        g.writeStartObject();
        g.writeNumberField("schema", SCHEMA);
        g.writeStringField("kind", kind);
    }

    private static void service(JsonGenerator g, VirtualServiceKey key) throws IOException {
        g.writeStringField("protocol", key.protocol().name().toLowerCase(Locale.ROOT));
        endpoint(g, key.address());
    }

    private static void endpoint(JsonGenerator g, Endpoint e) throws IOException {
        g.writeStringField("address", e.hostAddress());
        g.writeNumberField("port", e.port());
    }

    private static void stats(JsonGenerator g, RealServerStats s) throws IOException {
        g.writeObjectFieldStart("stats");
        g.writeNumberField("connections", s.connections());
        g.writeNumberField("inPackets", s.packetsIn());
        g.writeNumberField("outPackets", s.packetsOut());
        g.writeNumberField("inBytes", s.bytesIn());
        g.writeNumberField("outBytes", s.bytesOut());
        g.writeEndObject();
    }

    private static void rates(JsonGenerator g, Rates r) throws IOException {
        g.writeObjectFieldStart("rates");
        g.writeNumberField("cps", r.cps());
        g.writeNumberField("inPps", r.inPps());
        g.writeNumberField("outPps", r.outPps());
        g.writeNumberField("inBps", r.inBps());
        g.writeNumberField("outBps", r.outBps());
        g.writeEndObject();
    }
}
