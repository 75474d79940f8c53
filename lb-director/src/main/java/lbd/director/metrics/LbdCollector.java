package lbd.director.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServerKey;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.FlowOccupancy;
import lbd.director.cli.LbdVersion;
import lbd.director.listing.DestinationView;
import lbd.director.listing.DrTotals;
import lbd.director.listing.HeldOutView;
import lbd.director.listing.ServiceView;
import lbd.director.listing.TableView;
import lbd.health.CheckDurations;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Turns one {@link MetricsSource} read into Prometheus series at scrape time (nothing is kept between
 * scrapes, so removed services and real servers simply disappear). Labels: {@code protocol}, {@code service}
 * (VIP:port), {@code server} (RIP:port), {@code loop}.
 */
final class LbdCollector implements MultiCollector {

    /** Bucket bounds of the connect-latency histogram, in seconds: 100 µs to 10 s. */
    static final double[] LATENCY_BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};

    private final MetricsSource source;

    LbdCollector(MetricsSource source) {
        this.source = source;
    }

    @Override
    public MetricSnapshots collect() {
        TableView view = source.view();
        Map<RealServerKey, Duration> checkLatency = source.checkLatency();
        MetricSnapshots.Builder out = MetricSnapshots.builder();

        List<Row> rows = new ArrayList<>();
        List<Row> checked = new ArrayList<>();
        for (ServiceView s : view.services()) {
            for (DestinationView d : s.destinations()) {
                Row row = new Row(s, d.address(), d);
                rows.add(row);
                checked.add(row);
            }
            for (HeldOutView h : s.heldOut()) {
                checked.add(new Row(s, h.address(), null));
            }
        }
        out.metricSnapshot(counter("lbd_real_server_connections", "Connections scheduled to the real server (Conns)",
                rows, r -> r.d.stats().connections()));
        out.metricSnapshot(gauge("lbd_real_server_active_connections", "Established connections (ActiveConn)",
                rows, r -> r.d.stats().active()));
        out.metricSnapshot(gauge("lbd_real_server_inactive_connections",
                "Connections in any other tracked state (InActConn)", rows, r -> r.d.stats().inactive()));
        out.metricSnapshot(counter("lbd_real_server_in_bytes", "Bytes from clients to the real server", rows,
                r -> r.d.stats().bytesIn()));
        out.metricSnapshot(counter("lbd_real_server_out_bytes", "Bytes from the real server to clients", rows,
                r -> r.d.stats().bytesOut()));
        out.metricSnapshot(counter("lbd_real_server_in_packets", "Packets (or segments) from clients", rows,
                r -> r.d.stats().packetsIn()));
        out.metricSnapshot(counter("lbd_real_server_out_packets", "Packets (or segments) to clients", rows,
                r -> r.d.stats().packetsOut()));
        out.metricSnapshot(gauge("lbd_real_server_weight", "Effective weight (0: quiescent or draining)", rows,
                r -> r.d.weight()));
        out.metricSnapshot(gauge("lbd_real_server_up", "Health verdict: 1 up, 0 down (held quiescent or out)",
                checked, r -> r.d != null && r.d.up() ? 1 : 0));

        List<Row> timed = checked.stream().filter(r -> checkLatency.containsKey(r.key())).toList();
        if (!timed.isEmpty()) {
            out.metricSnapshot(gauge("lbd_real_server_check_latency_seconds", "Duration of the last health check",
                    timed, r -> checkLatency.get(r.key()).toNanos() / 1e9));
        }

        CounterSnapshot.Builder conns = CounterSnapshot.builder().name("lbd_service_connections")
                .help("Connections accepted by the virtual service");
        GaugeSnapshot.Builder active = GaugeSnapshot.builder().name("lbd_service_active_connections")
                .help("Established connections of the virtual service");
        CounterSnapshot.Builder bytesIn = CounterSnapshot.builder().name("lbd_service_in_bytes")
                .help("Bytes from clients to the virtual service");
        CounterSnapshot.Builder bytesOut = CounterSnapshot.builder().name("lbd_service_out_bytes")
                .help("Bytes from the virtual service to clients");
        for (ServiceView s : view.services()) {
            Labels l = serviceLabels(s.key());
            conns.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(s.stats().connections()).build());
            active.dataPoint(GaugeDataPointSnapshot.builder().labels(l).value(s.stats().active()).build());
            bytesIn.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(s.stats().bytesIn()).build());
            bytesOut.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(s.stats().bytesOut()).build());
        }
        out.metricSnapshot(conns.build()).metricSnapshot(active.build())
                .metricSnapshot(bytesIn.build()).metricSnapshot(bytesOut.build());

        List<LoopCounters> loops = source.loops();
        if (!loops.isEmpty()) {
            out.metricSnapshot(loopCounter("lbd_loop_accepted_connections", "Connections accepted by the event loop (for UDP: datagrams from a client without a flow)",
                    loops, LoopCounters::accepted));
            out.metricSnapshot(loopCounter("lbd_loop_scheduled_connections",
                    "Connections the event loop scheduled to a real server", loops, LoopCounters::scheduled));
            out.metricSnapshot(loopCounter("lbd_loop_refused_connections",
                    "Connections the event loop closed: no real server available or maxconns reached", loops,
                    LoopCounters::refused));
            out.metricSnapshot(loopCounter("lbd_loop_out_of_resources",
                    "Accepts and sockets to real servers that failed for want of file descriptors or memory; each"
                            + " paused the loop's listeners for 100 ms", loops, LoopCounters::outOfResources));
            out.metricSnapshot(loopCounter("lbd_loop_connection_ceiling_reached",
                    "Times the event loop stopped accepting because its share of the connection ceiling (maxconn)"
                            + " was open; it accepted again when one of its connections closed", loops,
                    LoopCounters::ceilingReached));
            out.metricSnapshot(loopCounter("lbd_loop_dropped_datagrams",
                    "UDP datagrams the event loop dropped: from a new client that got no flow (no real server, maxconns"
                            + " or the connection ceiling reached, no socket), or past a socket's queue bound", loops,
                    LoopCounters::datagramsDropped));
            out.metricSnapshot(loopCounter("lbd_loop_proxy_header_rejected",
                    "Connections of acceptproxy=yes services closed because their PROXY header was malformed, absent"
                            + " or not complete in time (also counted as refused)", loops,
                    LoopCounters::proxyHeaderRejected));
        }

        source.splicePipes().ifPresent(pipes -> {
            out.metricSnapshot(single("lbd_nat_splice_pipes", "Kernel pipes held by splicing connection directions"
                    + " (epoll): two descriptors and 64 KiB each, until the connection closes", Labels.EMPTY,
                    pipes.inUse()));
            out.metricSnapshot(single("lbd_nat_splice_pipes_limit", "The most directions that splice at once (a"
                    + " quarter of the connection ceiling, within fs.pipe-user-pages-soft for a user without"
                    + " CAP_SYS_RESOURCE; 0 = no limit); past it bulk data is copied", Labels.EMPTY, pipes.limit()));
        });

        directRouting(out);

        Map<RealServerKey, CheckDurations> durations = source.checkDurations();
        List<Row> probed = checked.stream().filter(r -> durations.containsKey(r.key())).toList();
        if (!probed.isEmpty()) {
            HistogramSnapshot.Builder h = HistogramSnapshot.builder().name("lbd_health_check_duration_seconds")
                    .help("Duration of each health check probe of the real server").unit(Unit.SECONDS);
            for (Row r : dedupe(probed)) {
                CheckDurations d = durations.get(r.key());
                h.dataPoint(HistogramDataPointSnapshot.builder().labels(r.labels())
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(CheckDurations.BOUNDS_SECONDS, d.counts()))
                        .sum(d.sumSeconds()).build());
            }
            out.metricSnapshot(h.build());
        }

        source.reloads().ifPresent(r -> {
            CounterSnapshot.Builder reloads = CounterSnapshot.builder().name("lbd_config_reloads")
                    .help("Reloads of the configuration file (SIGHUP, lbadm --reload, autoreload) by result");
            reloads.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("result", "success"))
                    .value(r.succeeded()).build());
            reloads.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("result", "failure"))
                    .value(r.failed()).build());
            out.metricSnapshot(reloads.build());
            out.metricSnapshot(single("lbd_config_last_reload_successful",
                    "1 when the last reload was applied (or none was tried), 0 when it was refused", Labels.EMPTY,
                    r.lastSuccessful() ? 1 : 0));
            if (r.lastSuccessMillis() > 0) {
                out.metricSnapshot(single("lbd_config_last_reload_success_timestamp_seconds",
                        "When the last reload was applied (Unix time)", Labels.EMPTY, r.lastSuccessMillis() / 1e3));
            }
        });
        String sha = source.configSha256();
        if (!sha.isEmpty()) {
            out.metricSnapshot(info("lbd_config", "The configuration file in force: its SHA-256, as sha256sum prints it",
                    Labels.of("sha256", sha)));
        }
        out.metricSnapshot(info("lbd_build", "lbd's version and the Java runtime it runs on",
                Labels.of("version", LbdVersion.VERSION, "java_version", Runtime.version().toString())));

        Map<VirtualServiceKey, Histogram> latency = source.connectLatencyMicros();
        if (!latency.isEmpty()) {
            HistogramSnapshot.Builder h = HistogramSnapshot.builder().name("lbd_connect_latency_seconds")
                    .help("Time to connect to a real server").unit(Unit.SECONDS);
            latency.forEach((key, histogram) -> h.dataPoint(histogramPoint(serviceLabels(key), histogram)));
            out.metricSnapshot(h.build());
        }
        return out.build();
    }

    /**
     * The direct-routing workers' counters: frames received, forwarded, delivered locally, dropped by reason (each
     * frame not forwarded counts under one reason), ARP/ND replies sent; each worker's flow table occupancy; each
     * gate real server's neighbour state.
     */
    private void directRouting(MetricSnapshots.Builder out) {
        Map<String, Long> frames = source.directRoutingFrames();
        if (!frames.isEmpty()) {
            DrTotals totals = DrTotals.of(frames);
            out.metricSnapshot(singleCounter("lbd_dr_frames_received", "Frames the direct-routing workers read",
                    totals.received()));
            out.metricSnapshot(singleCounter("lbd_dr_frames_forwarded", "Frames sent on to a real server",
                    totals.forwarded()));
            out.metricSnapshot(singleCounter("lbd_dr_frames_sent_through_af_xdp",
                    "Of the frames sent on to a real server, those that left through an AF_XDP socket (xdp=yes)",
                    totals.sentThroughAfXdp()));
            out.metricSnapshot(singleCounter("lbd_dr_frames_delivered_locally",
                    "Frames handed to this host's stack for a real server on the director", totals.deliveredLocally()));
            out.metricSnapshot(labelled("lbd_dr_frames_parsed", "Frames the direct-routing workers handle further, by"
                    + " what they are (tcp, udp, arp, neighbour-solicitation)", "kind", totals.parsed()));
            out.metricSnapshot(labelled("lbd_dr_frames_dropped", "Frames the direct-routing workers dropped, by reason",
                    "reason", totals.dropped()));
            out.metricSnapshot(labelled("lbd_dr_replies_sent",
                    "ARP replies and IPv6 neighbour advertisements sent for the VIPs, and ICMP fragmentation-needed /"
                    + " packet-too-big sent back to clients, by kind", "kind", totals.replies()));
            out.metricSnapshot(labelled("lbd_dr_connections_carried_on", "Connections a direct-routing worker"
                    + " carries on without having seen their SYN: handed over (a restart under cleanstop=no, lbd"
                    + " upgrade, the other director's sync) or scheduled mid-flow (sloppytcp=yes)", "how",
                    totals.carriedOn()));
            out.metricSnapshot(singleCounter("lbd_dr_flows_half_open_evicted",
                    "Half-open flows (only a SYN seen) evicted from a full flow table to make room",
                    totals.halfOpenEvicted()));
            out.metricSnapshot(singleCounter("lbd_dr_flows_udp_evicted",
                    "UDP flows of at most 8 datagrams evicted from a full flow table to make room (least recently"
                    + " used first)", totals.udpEvicted()));
        }
        List<FlowOccupancy> flows = source.directRoutingFlows();
        if (!flows.isEmpty()) {
            GaugeSnapshot.Builder used = GaugeSnapshot.builder().name("lbd_dr_flow_table_entries")
                    .help("Connections the direct-routing worker's flow table tracks");
            GaugeSnapshot.Builder size = GaugeSnapshot.builder().name("lbd_dr_flow_table_capacity")
                    .help("Connections the direct-routing worker's flow table can track");
            for (FlowOccupancy f : flows) {
                Labels worker = Labels.of("worker", Integer.toString(f.worker()));
                used.dataPoint(GaugeDataPointSnapshot.builder().labels(worker).value(f.flows()).build());
                size.dataPoint(GaugeDataPointSnapshot.builder().labels(worker).value(f.capacity()).build());
            }
            out.metricSnapshot(used.build()).metricSnapshot(size.build());
        }
        Map<RealServerKey, Boolean> neighbours = source.directRoutingNeighbours();
        if (!neighbours.isEmpty()) {
            GaugeSnapshot.Builder resolved = GaugeSnapshot.builder().name("lbd_dr_neighbour_resolved")
                    .help("1 when the gate real server's MAC address is known (ARP/ND), 0 while it is held down"
                            + " for want of one");
            neighbours.forEach((key, ok) -> resolved.dataPoint(GaugeDataPointSnapshot.builder()
                    .labels(serviceLabels(key.service()).add("server", key.address().toString()))
                    .value(ok ? 1 : 0).build()));
            out.metricSnapshot(resolved.build());
        }
    }

    private static CounterSnapshot labelled(String name, String help, String label, Map<String, Long> values) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        values.forEach((value, n) -> b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of(label, value))
                .value(n).build()));
        return b.build();
    }

    private static CounterSnapshot singleCounter(String name, String help, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    /** An info series: {@code NAME_info{labels} 1}. */
    private static InfoSnapshot info(String name, String help, Labels labels) {
        return InfoSnapshot.builder().name(name).help(help)
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(labels).build()).build();
    }

    private static GaugeSnapshot single(String name, String help, Labels labels, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }

    /** HdrHistogram (µs) to Prometheus classic buckets (non-cumulative counts per bucket, in seconds). */
    static HistogramDataPointSnapshot histogramPoint(Labels labels, Histogram micros) {
        long[] counts = new long[LATENCY_BOUNDS.length];
        double sum = 0;
        for (HistogramIterationValue v : micros.recordedValues()) {
            double seconds = micros.highestEquivalentValue(v.getValueIteratedTo()) / 1e6;
            long n = v.getCountAtValueIteratedTo();
            sum += seconds * n;
            int i = 0;
            while (seconds > LATENCY_BOUNDS[i]) {
                i++;
            }
            counts[i] += n;
        }
        return HistogramDataPointSnapshot.builder().labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(LATENCY_BOUNDS, counts)).sum(sum).build();
    }

    private record Row(ServiceView service, Endpoint server, DestinationView d) {
        RealServerKey key() {
            return new RealServerKey(service.key(), server);
        }

        Labels labels() {
            return serviceLabels(service.key()).add("server", server.toString());
        }
    }

    private static Labels serviceLabels(VirtualServiceKey key) {
        return Labels.of("protocol", key.protocol().name().toLowerCase(Locale.ROOT), "service", key.address().toString());
    }

    private static CounterSnapshot counter(String name, String help, List<Row> rows, ToDoubleFunction<Row> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (Row r : dedupe(rows)) {
            b.dataPoint(CounterDataPointSnapshot.builder().labels(r.labels()).value(value.applyAsDouble(r)).build());
        }
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, List<Row> rows, ToDoubleFunction<Row> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (Row r : dedupe(rows)) {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(r.labels()).value(value.applyAsDouble(r)).build());
        }
        return b.build();
    }

    /** A server listed twice in a service (the fallback is also a real server) would repeat its labels. */
    private static List<Row> dedupe(List<Row> rows) {
        Map<RealServerKey, Row> unique = new LinkedHashMap<>();
        for (Row r : rows) {
            unique.putIfAbsent(r.key(), r);
        }
        return List.copyOf(unique.values());
    }

    private static CounterSnapshot loopCounter(String name, String help, List<LoopCounters> loops,
                                               ToDoubleFunction<LoopCounters> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (LoopCounters l : loops) {
            b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("loop", Integer.toString(l.loop())))
                    .value(value.applyAsDouble(l)).build());
        }
        return b.build();
    }
}
