package lbd.bench.health;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;

import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.GlobalSettings;
import lbd.config.model.HealthCheck;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.health.HealthListener;
import lbd.health.HealthMonitor;
import lbd.health.ServiceHealth;

/**
 * What 10,000 real servers checked every second cost: a plain benchmark (not JMH, because the quantity is
 * CPU per second of wall time, not time per operation).
 *
 * <p>Set-up, loopback only: 100 virtual services × 100 real servers, the real servers being 100 listeners on
 * 127.0.0.1 (so each listener is checked by 100 services, as a real server shared by many VIPs is under
 * ldirectord). checktype=connect (or negotiate http with {@code --http}), checkinterval=1 s. One NIO thread
 * accepts and closes connections; its CPU is measured separately and subtracted, because in production that
 * work happens on the real servers. The kernel's share of each loopback handshake is charged to us.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar lbd.bench.health.HealthCheckCost [servers] [seconds]
 * [--http|--none]}; {@code --none} checks with service=none (no I/O), which isolates the scheduling cost.
 */
public final class HealthCheckCost {

    private static final int LISTENERS = 100;

    public static void main(String[] args) throws Exception {
        int servers = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        boolean http = List.of(args).contains("--http");
        // --none: negotiate with service=none, a probe that does no I/O: the cost of scheduling alone.
        boolean none = List.of(args).contains("--none");
        int perService = LISTENERS;
        int services = Math.max(1, servers / perService);

        try (Acceptor acceptor = new Acceptor(LISTENERS, http)) {
            Thread acceptorThread = Thread.ofPlatform().name("bench-acceptor").start(acceptor);
            ClusterConfig config = config(services, acceptor.ports, http, none);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

            try (HealthMonitor monitor = new HealthMonitor(HealthListener.NONE).start()) {
                monitor.apply(config);
                long warmupEnd = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < warmupEnd) {
                    Thread.sleep(200);
                }
                long up = monitor.services().stream().mapToLong(ServiceHealth::upCount).sum();
                System.out.printf("servers=%d up after warm-up=%d check=%s%n", services * perService, up,
                        http ? "negotiate/http" : none ? "negotiate/none (no I/O)" : "connect");

                long cpu0 = os.getProcessCpuTime();
                long[] ticks0 = userSysTicks();
                long accUser0 = threads.getThreadUserTime(acceptorThread.threadId());
                long acc0 = threads.getThreadCpuTime(acceptorThread.threadId());
                long accepted0 = acceptor.accepted.get();
                long wall0 = System.nanoTime();
                Thread.sleep(Duration.ofSeconds(seconds));
                long wall = System.nanoTime() - wall0;
                long cpu = os.getProcessCpuTime() - cpu0;
                long acc = threads.getThreadCpuTime(acceptorThread.threadId()) - acc0;
                long accUser = threads.getThreadUserTime(acceptorThread.threadId()) - accUser0;
                long[] ticks1 = userSysTicks();
                long tickNanos = 10_000_000L; // USER_HZ is 100 on Linux
                long user = (ticks1[0] - ticks0[0]) * tickNanos - accUser;
                long sys = (ticks1[1] - ticks0[1]) * tickNanos - (acc - accUser);
                long accepted = acceptor.accepted.get() - accepted0;

                if (none) {
                    accepted = (long) (services * perService * (wall / 1e9)); // one check per server per second
                }
                double checksPerSecond = accepted * 1e9 / wall;
                double processCore = (double) cpu / wall;
                double monitorCore = (double) (cpu - acc) / wall;
                long stillUp = monitor.services().stream().mapToLong(ServiceHealth::upCount).sum();
                System.out.printf("measured %d s: %.0f checks/s, process %.1f%% of one core, acceptor %.1f%%,"
                                + " health monitor %.1f%% of one core (%.1f µs CPU per check); up at end=%d%n",
                        seconds, checksPerSecond, processCore * 100, (double) acc / wall * 100,
                        monitorCore * 100, (cpu - acc) / 1e3 / Math.max(1, accepted), stillUp);
                System.out.printf("health monitor split: user %.1f%% (%.1f µs/check), kernel %.1f%% (%.1f µs/check)%n",
                        (double) user / wall * 100, user / 1e3 / Math.max(1, accepted),
                        (double) sys / wall * 100, sys / 1e3 / Math.max(1, accepted));
            } finally {
                acceptor.close();
                acceptorThread.join(2_000);
            }
        }
    }

    /** utime and stime of this process in clock ticks, from /proc/self/stat. */
    private static long[] userSysTicks() throws IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    private static ClusterConfig config(int services, List<Integer> ports, boolean http, boolean none) {
        HealthCheck check = new HealthCheck(http || none ? CheckType.NEGOTIATE : CheckType.CONNECT, 0,
                http ? ServiceType.HTTP : ServiceType.NONE, Duration.ofSeconds(1), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 1, Optional.empty(), Optional.of("/"),
                http ? Optional.of("ok") : Optional.empty(), "GET", Optional.empty(), Optional.empty());
        List<VirtualService> list = new ArrayList<>();
        for (int s = 0; s < services; s++) {
            // VIPs are only names here: nothing is ever sent to them.
            VirtualServiceKey key = new VirtualServiceKey(Protocol.TCP,
                    Endpoint.of("198.18." + (s / 250) + "." + (s % 250 + 1), 80));
            List<RealServer> reals = new ArrayList<>();
            for (int port : ports) {
                reals.add(new RealServer(new RealServerKey(key, Endpoint.of("127.0.0.1", port)),
                        ForwardingMethod.MASQ, 1, Optional.empty(), Optional.empty(), 0));
            }
            list.add(new VirtualService(key, SchedulerKind.WRR, OptionalInt.empty(), Optional.empty(), reals, check,
                    true, Optional.empty(), Optional.empty(), 0, Duration.ofMinutes(15), 0));
        }
        GlobalSettings globals = new GlobalSettings(false, Optional.empty(), Optional.empty(), Optional.empty(),
                false, false, false, Optional.empty(), Transport.AUTO, 0, Optional.empty(), Optional.empty(),
                Optional.empty());
        return new ClusterConfig(Optional.empty(), globals, list);
    }

    /** Loopback listeners on one NIO thread: accept, (answer a minimal HTTP 200 if asked), close. */
    private static final class Acceptor implements Runnable, AutoCloseable {
        private static final byte[] OK = ("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes();
        final Selector selector;
        final List<Integer> ports = new ArrayList<>();
        final AtomicLong accepted = new AtomicLong();
        final boolean http;
        volatile boolean running = true;

        Acceptor(int listeners, boolean http) throws IOException {
            this.http = http;
            selector = Selector.open();
            for (int i = 0; i < listeners; i++) {
                ServerSocketChannel channel = ServerSocketChannel.open();
                channel.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_ACCEPT);
                ports.add(((InetSocketAddress) channel.getLocalAddress()).getPort());
            }
        }

        @Override
        public void run() {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(4096);
            try {
                while (running) {
                    selector.select(100);
                    for (SelectionKey key : selector.selectedKeys()) {
                        if (key.isAcceptable()) {
                            SocketChannel client;
                            while ((client = ((ServerSocketChannel) key.channel()).accept()) != null) {
                                accepted.incrementAndGet();
                                if (http) {
                                    client.configureBlocking(false);
                                    client.register(selector, SelectionKey.OP_READ);
                                } else {
                                    client.close();
                                }
                            }
                        } else if (key.isReadable()) {
                            SocketChannel client = (SocketChannel) key.channel();
                            buffer.clear();
                            int n;
                            try {
                                n = client.read(buffer);
                            } catch (IOException e) {
                                n = -1;
                            }
                            if (n < 0 || containsBlankLine(buffer)) {
                                if (n >= 0) {
                                    try {
                                        client.write(java.nio.ByteBuffer.wrap(OK));
                                    } catch (IOException ignored) {
                                        // the prober gave up
                                    }
                                }
                                key.cancel();
                                client.close();
                            }
                        }
                    }
                    selector.selectedKeys().clear();
                }
                for (SelectionKey key : selector.keys()) {
                    key.channel().close();
                }
                selector.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static boolean containsBlankLine(java.nio.ByteBuffer b) {
            for (int i = 3; i < b.position(); i++) {
                if (b.get(i - 3) == '\r' && b.get(i - 2) == '\n' && b.get(i - 1) == '\r' && b.get(i) == '\n') {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            running = false; // the acceptor thread closes its channels on its way out
            selector.wakeup();
        }
    }

    private HealthCheckCost() {
    }
}
