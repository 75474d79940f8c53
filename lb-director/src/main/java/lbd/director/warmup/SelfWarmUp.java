package lbd.director.warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.nat.NatProxy;
import lbd.dataplane.nat.NatSettings;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.TransportKind;

/**
 * A starting lbd's warm-up, before it tells systemd (or {@code lbd start}, or the lbd it upgrades) that it is ready:
 * the JIT compiles a method only after thousands of calls, so a fresh lbd serves its first seconds of new
 * connections interpreted, at a fraction of its rate — exactly when an HA backup has taken over or an upgrade's new
 * process has taken the VIPs. The warm-up makes those calls itself: private clients connect, through a private
 * NAT proxy, to a private real server, all on free loopback ports, until the JIT has compiled what they ran (see
 * {@link Bounds}). The private proxy is a {@link NatProxy} of its own — its own table, scheduler, counters,
 * listener and connections, so nothing of it is seen in listings, statistics, metrics or the services' scheduler
 * state — started on the service proxy's event loops ({@link NatProxy#startOn}): the code is the service's, and
 * so are the threads, whose per-thread caches (Netty's buffer pools, recyclers, handler masks) would otherwise be
 * filled by the first real clients, on paths the JIT compiled as never taken — each such path costs a
 * deoptimization and a recompilation in the first second of service. The service's VIPs listen and serve
 * meanwhile, as they would without it. A failure only ends the warm-up early: lbd then starts as it would without
 * one.
 */
public final class SelfWarmUp {

    /**
     * How far the warm-up goes: at least {@code atLeast} connections, then until the JIT has stayed idle (nothing of
     * the path compiling or queued) over {@link JitQuiet#CONNECTIONS} more: the connection path's methods, called that
     * often, have reached its top tier. Never past {@code atMost} connections or {@code time}; {@code concurrency}
     * clients at a time.
     */
    public record Bounds(int atLeast, int atMost, Duration time, int concurrency) {
        /**
         * HotSpot compiles a method with C2 once its profiled code has run about 5,000 times (Tier4InvocationThreshold),
         * and the warm-up's methods run at least once per connection: 10,000 connections, then what the compile
         * queue and the quiet window need (25,000-40,000 connections on one quiet CPU). The time bound keeps a starved
         * machine from holding READY=1 for long (benchmarks/RESULTS.md, "Warm start").
         */
        public static final Bounds DEFAULT = new Bounds(10_000, 60_000, Duration.ofSeconds(15), 16);

        public Bounds {
            if (atLeast < 1 || atMost < atLeast || concurrency < 1 || time.isNegative() || time.isZero()) {
                throw new IllegalArgumentException("warm-up bounds must be positive, at least <= at most: " + atLeast
                        + ", " + atMost + ", " + time + ", " + concurrency);
            }
        }
    }

    /** What the warm-up did, as one line for the log. */
    public sealed interface Outcome {
        String describe();
    }

    /** It ran until the JIT was idle or to one of its bounds ({@code until} says which). */
    public record Done(int connections, long requests, TransportKind transport, Duration took, String until)
            implements Outcome {
        @Override
        public String describe() {
            return String.format(Locale.ROOT, "warm-up: %d private loopback connections (%d requests) through the NAT"
                    + " path (%s) in %.2f s, %s", connections, requests, transport, took.toNanos() / 1e9, until);
        }
    }

    /** It stopped early (a port it could not use, an exchange that failed): lbd goes on without it. */
    public record Failed(String reason, int connections, Duration took) implements Outcome {
        @Override
        public String describe() {
            return String.format(Locale.ROOT, "warm-up stopped after %d connections in %.2f s: %s; starting"
                    + " without it", connections, took.toNanos() / 1e9, reason);
        }
    }

    /** Nothing to warm: no TCP service forwards with masq (the DR path and UDP are not warmed). */
    public record Skipped(String reason) implements Outcome {
        @Override
        public String describe() {
            return "warm-up skipped: " + reason;
        }
    }

    private SelfWarmUp() {
    }

    /**
     * Warms the connection path of {@code service} (the director's proxy, started) for the TCP masq services of
     * {@code config}, as one of those with the scheduler most of them use (its scheduler, connect and idle timeouts).
     * Blocks for at most about {@code bounds.time()} plus the I/O timeout of one exchange.
     */
    public static Outcome run(NatProxy service, ClusterConfig config, Bounds bounds) {
        return run(service, config, bounds, InetAddress.getLoopbackAddress());
    }

    /** As {@link #run(NatProxy, ClusterConfig, Bounds)}, on free ports of {@code local} instead of the loopback's. */
    public static Outcome run(NatProxy service, ClusterConfig config, Bounds bounds, InetAddress local) {
        Optional<VirtualService> typical = typical(config.virtualServices());
        if (typical.isEmpty()) {
            return new Skipped("no TCP virtual service forwards with masq");
        }
        return run(service, typical.get().scheduler(), Timeouts.of(typical.get()), bounds, local);
    }

    /** Warms the connection path of {@code service}'s event loops for a service of that scheduler and timeouts. */
    static Outcome run(NatProxy service, SchedulerKind scheduler, Timeouts template, Bounds bounds,
            InetAddress local) {
        long start = System.nanoTime();
        long deadline = start + bounds.time().toNanos();
        LoopbackClients clients = null;
        String until = null;
        try (LoopbackBackend first = new LoopbackBackend(local, bounds.concurrency());
             LoopbackBackend second = new LoopbackBackend(local, bounds.concurrency())) {
            // Two VIPs: the clients move from the first to the second halfway, and the first stops listening, so that
            // closing a listener is part of what the JIT has seen before it compiles the paths it shares with
            // closing a connection (else closing the last one at the end would undo their compiled code).
            VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, freePort(local));
            VirtualServiceKey next = new VirtualServiceKey(Protocol.TCP, freePort(local));
            PrivateTable table = new PrivateTable(List.of(vip, next), scheduler, template,
                    List.of(first.endpoint(), second.endpoint()));
            NatProxy proxy = new NatProxy(privateSettings(service, bounds), table.publisher, "lbd-warmup", false);
            try {
                proxy.startOn(service); // the service's own threads: see NatProxy.startOn
                table.publish();
                proxy.listen(vip);
                proxy.listen(next);
                LoopbackClients started = new LoopbackClients(vip.address().toSocketAddress());
                clients = started;
                started.start(bounds.concurrency(), bounds.atMost(), deadline);
                until = watch(started, table, bounds, deadline, () -> {
                    started.retarget(next.address().toSocketAddress());
                    proxy.stopListening(vip);
                });
            } finally {
                if (clients != null) {
                    clients.stop();
                    clients.awaitStopped();
                }
                proxy.shutdown(DRAIN);
            }
        } catch (IOException | RuntimeException e) {
            return new Failed(e.getMessage() == null ? e.toString() : e.getMessage(),
                    clients == null ? 0 : clients.completed(), Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failed("interrupted", clients == null ? 0 : clients.completed(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
        // The warm-up's garbage goes now, before READY=1: else the collector's next cycle (ZGC starts its first ones
        // at 10, 20 and 30 % of the heap) falls in the first second of service, on the CPU the clients need. And the
        // heap the warm-up grew goes back to the system (HeapGiveBack).
        HeapGiveBack.collect();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (clients.failure() != null) {
            return new Failed(clients.failure(), clients.completed(), took);
        }
        return new Done(clients.completed(), clients.requests(), service.transport(), took, until);
    }

    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    // Once the clients have read their last replies, what the proxy still has to close.
    private static final Duration DRAIN = Duration.ofSeconds(2);
    // As health verdicts and reloads do, a new table now and then: the workers' refresh is compiled too.
    private static final int CONNECTIONS_PER_TABLE = 1_000;

    /**
     * Samples the clients and the JIT until the clients have stopped by themselves (at most connections, the time
     * bound, a failure) or, past the least connections, the JIT has been quiet ({@link JitQuiet}); says why.
     * Publishes the private table again every {@link #CONNECTIONS_PER_TABLE} connections; runs {@code halfway} once
     * half the least connections are served.
     */
    private static String watch(LoopbackClients clients, PrivateTable table, Bounds bounds, long deadline,
            Runnable halfway) {
        JitActivity jit = JitActivity.ofThisJvm();
        JitQuiet quiet = new JitQuiet();
        int published = 0;
        boolean moved = false;
        while (!clients.finished()) {
            LockSupport.parkNanos(SAMPLE_NANOS);
            int completed = clients.completed();
            if (!moved && completed >= bounds.atLeast() / 2) {
                halfway.run();
                moved = true;
            }
            if (completed - published >= CONNECTIONS_PER_TABLE) {
                table.publish();
                published = completed;
            }
            if (jit != null && completed >= bounds.atLeast() && quiet.sample(jit.idle(), completed)) {
                return "until the JIT was idle over " + JitQuiet.CONNECTIONS + " connections";
            }
        }
        if (clients.opened() >= bounds.atMost()) {
            return "at its bound of " + bounds.atMost() + " connections";
        }
        return System.nanoTime() - deadline >= 0 ? "at its time bound of " + bounds.time().toSeconds() + " s" : "";
    }

    /**
     * One loop per loop of the service's proxy, its transport and splice threshold, and (when it has them) a
     * connection ceiling and a limit on pipes, so that the same branches run.
     */
    private static NatSettings privateSettings(NatProxy service, Bounds bounds) {
        NatSettings settings = service.settings();
        return new NatSettings(settings.transport(), service.workers().size(), DRAIN,
                settings.spliceThresholdBytes(), settings.maxConnections() > 0 ? 1_024 : 0,
                settings.maxPipes() > 0 ? 256 : 0);
    }

    /**
     * The warm-up's service (on its VIPs, each a table of its own) and the publisher of its own that its proxy reads
     * (the control thread writes).
     */
    private static final class PrivateTable {
        final SnapshotPublisher publisher = new SnapshotPublisher();
        private final List<VirtualServiceKey> vips;
        private final SchedulerKind scheduler;
        private final Timeouts timeouts;
        private final List<Endpoint> servers;
        private long version;

        PrivateTable(List<VirtualServiceKey> vips, SchedulerKind scheduler, Timeouts timeouts, List<Endpoint> servers) {
            this.vips = vips;
            this.scheduler = scheduler;
            this.timeouts = timeouts;
            this.servers = servers;
        }

        /** New tables (equal to the last), as a delta after the first, as the conductor publishes a change. */
        void publish() {
            Map<VirtualServiceKey, ServiceTable> tables = new java.util.HashMap<>();
            for (VirtualServiceKey vip : vips) {
                tables.put(vip, table(vip, scheduler, timeouts, servers));
            }
            version++;
            publisher.publish(version == 1 ? new DataPlaneSnapshot(version, tables)
                    : new DataPlaneSnapshot(version, tables, version - 1, Set.copyOf(vips)));
        }
    }

    /**
     * The connect and idle timeouts of the service the warm-up stands for (the connect bound no longer than the
     * warm-up's I/O timeout): the proxy's timers take the same branches.
     */
    record Timeouts(Duration connect, Duration idle) {
        static Timeouts of(VirtualService service) {
            Duration bound = Duration.ofMillis(WarmUpExchange.IO_TIMEOUT_MILLIS);
            Duration connect = service.healthCheck().connectTimeout();
            // A TCP service's idle timeout never follows the udp timeout: the kernel's default stands in for it.
            return new Timeouts(connect.compareTo(bound) > 0 || connect.isZero() ? bound : connect,
                    service.effectiveIdleTimeout(Duration.ofSeconds(
                            lbd.dataplane.table.ConnectionTimeouts.DEFAULTS.udpSeconds())));
        }
    }

    private static ServiceTable table(VirtualServiceKey vip, SchedulerKind scheduler, Timeouts timeouts,
            List<Endpoint> servers) {
        List<Destination> destinations = new java.util.ArrayList<>(servers.size());
        for (Endpoint server : servers) {
            destinations.add(new Destination(destinations.size(), new RealServerKey(vip, server),
                    ForwardingMethod.MASQ, 1));
        }
        return new ServiceTable(vip, scheduler, destinations, Optional.empty(), 0, timeouts.connect(),
                timeouts.idle());
    }

    /** A port of {@code local} free now (the proxy binds it at once; a port taken meanwhile fails the warm-up only). */
    private static Endpoint freePort(InetAddress local) throws IOException {
        try (Socket probe = new Socket()) {
            probe.bind(new InetSocketAddress(local, 0));
            return new Endpoint(probe.getLocalAddress(), probe.getLocalPort());
        }
    }

    /**
     * The first TCP masq service with the scheduler most of them use (the first such service's on a tie), or empty
     * when there is none.
     */
    static Optional<VirtualService> typical(List<VirtualService> services) {
        Map<SchedulerKind, Integer> uses = new EnumMap<>(SchedulerKind.class);
        Map<SchedulerKind, VirtualService> first = new EnumMap<>(SchedulerKind.class);
        SchedulerKind best = null;
        for (VirtualService vs : services) {
            if (vs.key().protocol() != Protocol.TCP || vs.forwarding() != ForwardingMethod.MASQ) {
                continue;
            }
            first.putIfAbsent(vs.scheduler(), vs);
            int n = uses.merge(vs.scheduler(), 1, Integer::sum);
            if (best == null || n > uses.get(best)) {
                best = vs.scheduler();
            }
        }
        return Optional.ofNullable(best == null ? null : first.get(best));
    }
}
