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
        return write(g -> {
            start(g, "table");
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
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("heldOut");
                for (HeldOutView h : s.heldOut()) {
                    g.writeStartObject();
                    endpoint(g, h.address());
                    g.writeStringField("reason", h.reason());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
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
