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
 * NAT proxy of the same classes, transport and scheduler as the service's, to a private real server, all on free
 * loopback ports, until {@link Bounds#connections} have been served or {@link Bounds#time} has passed. The proxy
 * is a {@link NatProxy} of its own (its own table, event loop, counters), so nothing of it is seen in listings,
 * statistics, metrics or the services' scheduler state; the service's VIPs listen and serve meanwhile, as they would
 * without it. A failure only ends the warm-up early: lbd then starts as it would without one.
 */
public final class SelfWarmUp {

    /**
     * How far the warm-up goes: at least {@code atLeast} connections, then until the JIT is idle (nothing compiling,
     * nothing queued: the connection path's methods, called that often, have reached its top tier), but never past
     * {@code atMost} connections or {@code time}; {@code concurrency} clients at a time.
     */
    public record Bounds(int atLeast, int atMost, Duration time, int concurrency) {
        /**
         * HotSpot compiles a method with C2 once its profiled code has run about 5,000 times (Tier4InvocationThreshold),
         * and the warm-up's methods run at least once per connection: 10,000 connections, then what the compile
         * queue needs. The time bound keeps a starved machine from holding READY=1 for long (benchmarks/RESULTS.md,
         * "Warm start").
         */
        public static final Bounds DEFAULT = new Bounds(10_000, 40_000, Duration.ofSeconds(15), 16);

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
     * {@code config}, with the scheduler most of them use. Blocks for at most about {@code bounds.time()} plus the
     * I/O timeout of one exchange.
     */
    public static Outcome run(NatProxy service, ClusterConfig config, Bounds bounds) {
        return run(service, config, bounds, InetAddress.getLoopbackAddress());
    }

    /** As {@link #run(NatProxy, ClusterConfig, Bounds)}, on free ports of {@code local} instead of the loopback's. */
    public static Outcome run(NatProxy service, ClusterConfig config, Bounds bounds, InetAddress local) {
        Optional<SchedulerKind> scheduler = mostUsedScheduler(config.virtualServices());
        if (scheduler.isEmpty()) {
            return new Skipped("no TCP virtual service forwards with masq");
        }
        return run(service.transport(), service.settings(), scheduler.get(), bounds, local);
    }

    /** Warms a proxy of {@code transport} like one with {@code settings}, scheduling with {@code scheduler}. */
    static Outcome run(TransportKind transport, NatSettings settings, SchedulerKind scheduler, Bounds bounds,
            InetAddress local) {
        long start = System.nanoTime();
        long deadline = start + bounds.time().toNanos();
        LoopbackClients clients = null;
        String until = null;
        try (LoopbackBackend first = new LoopbackBackend(local, bounds.concurrency());
             LoopbackBackend second = new LoopbackBackend(local, bounds.concurrency())) {
            VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, freePort(local));
            // A publisher of the warm-up's own: its proxy is the only reader.
            SnapshotPublisher publisher = new SnapshotPublisher();
            NatProxy proxy = new NatProxy(privateSettings(transport, settings, bounds), publisher, "lbd-warmup", false);
            try {
                proxy.start();
                publisher.publish(new DataPlaneSnapshot(1,
                        Map.of(vip, table(vip, scheduler, List.of(first.endpoint(), second.endpoint())))));
                proxy.listen(vip);
                clients = new LoopbackClients(vip.address().toSocketAddress());
                clients.start(bounds.concurrency(), bounds.atMost(), deadline);
                until = watch(clients, bounds, deadline);
            } finally {
                if (clients != null) {
                    clients.stop();
                    clients.awaitStopped();
                }
                proxy.shutdown(Duration.ZERO);
            }
        } catch (IOException | RuntimeException e) {
            return new Failed(e.getMessage() == null ? e.toString() : e.getMessage(),
                    clients == null ? 0 : clients.completed(), Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failed("interrupted", clients == null ? 0 : clients.completed(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (clients.failure() != null) {
            return new Failed(clients.failure(), clients.completed(), took);
        }
        return new Done(clients.completed(), clients.requests(), transport, took, until);
    }

    private static final long SAMPLE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * Samples the clients and the JIT until the clients have stopped by themselves (at most connections, the time
     * bound, a failure) or, past the least connections, the JIT has been idle at two samples in a row; says why.
     */
    private static String watch(LoopbackClients clients, Bounds bounds, long deadline) {
        JitActivity jit = JitActivity.ofThisJvm();
        int idleSamples = 0;
        while (!clients.finished()) {
            java.util.concurrent.locks.LockSupport.parkNanos(SAMPLE_NANOS);
            if (jit != null && clients.completed() >= bounds.atLeast()) {
                idleSamples = jit.idle() ? idleSamples + 1 : 0;
                if (idleSamples == 2) {
                    return "until the JIT was idle";
                }
            }
        }
        if (clients.opened() >= bounds.atMost()) {
            return "at its bound of " + bounds.atMost() + " connections";
        }
        return System.nanoTime() - deadline >= 0 ? "at its time bound of " + bounds.time().toSeconds() + " s" : "";
    }

    /**
     * The service proxy's transport, splice threshold and (when it has one) a connection ceiling, so that the same
     * branches run; one event loop, and no drain: nothing is open once the clients have stopped.
     */
    private static NatSettings privateSettings(TransportKind transport, NatSettings settings, Bounds bounds) {
        return new NatSettings(transport.request(), 1, Duration.ZERO, settings.spliceThresholdBytes(),
                settings.maxConnections() > 0 ? 4 * bounds.concurrency() : 0);
    }

    private static ServiceTable table(VirtualServiceKey vip, SchedulerKind scheduler, List<Endpoint> servers) {
        List<Destination> destinations = new java.util.ArrayList<>(servers.size());
        for (Endpoint server : servers) {
            destinations.add(new Destination(destinations.size(), new RealServerKey(vip, server),
                    ForwardingMethod.MASQ, 1));
        }
        return new ServiceTable(vip, scheduler, destinations, Optional.empty(), 0,
                Duration.ofMillis(WarmUpExchange.IO_TIMEOUT_MILLIS), Duration.ofSeconds(30));
    }

    /** A port of {@code local} free now (the proxy binds it at once; a port taken meanwhile fails the warm-up only). */
    private static Endpoint freePort(InetAddress local) throws IOException {
        try (Socket probe = new Socket()) {
            probe.bind(new InetSocketAddress(local, 0));
            return new Endpoint(probe.getLocalAddress(), probe.getLocalPort());
        }
    }

    /** The scheduler of most TCP masq services (the first such service's on a tie), or empty when there is none. */
    static Optional<SchedulerKind> mostUsedScheduler(List<VirtualService> services) {
        Map<SchedulerKind, Integer> uses = new EnumMap<>(SchedulerKind.class);
        SchedulerKind best = null;
        for (VirtualService vs : services) {
            if (vs.key().protocol() != Protocol.TCP || vs.forwarding() != ForwardingMethod.MASQ) {
                continue;
            }
            int n = uses.merge(vs.scheduler(), 1, Integer::sum);
            if (best == null || n > uses.get(best)) {
                best = vs.scheduler();
            }
        }
        return Optional.ofNullable(best);
    }
}
