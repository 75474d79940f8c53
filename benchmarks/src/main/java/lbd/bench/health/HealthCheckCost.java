package lbd.bench.health;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.GlobalSettings;
import lbd.config.model.HealthCheck;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
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
 * <p>Set-up: 100 virtual services × 100 real servers, the real servers being 100 listeners (so each listener is
 * checked by 100 services, as a real server shared by many VIPs is under ldirectord). checktype=connect (or
 * negotiate http with {@code --http}), checkinterval=1 s. One NIO thread accepts and closes connections.
 *
 * <ul>
 *   <li>default: the listeners are on 127.0.0.1 in this process; the acceptor thread's CPU is subtracted, but the
 *   kernel does the server's half of every loopback handshake inside the prober's connect() and charges it to
 *   this process (this kernel has no IRQ time accounting: softirq work goes to the current task).</li>
 *   <li>{@code --netns} (root, 2+ CPUs): the listeners run in a separate process in a network namespace reached
 *   over a veth pair (198.19.2xx.0/30), the namespace's receive processing steered to CPU 1 by RPS and the server
 *   pinned there, this process pinned to CPU 0: closer to what remote real servers cost the prober.</li>
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar lbd.bench.health.HealthCheckCost [servers] [seconds]
 * [--http|--none] [--netns] [--external-servers PORT] [--maintenancedir]}; {@code --none} checks with service=none (no
 * I/O), which isolates the scheduling cost.
 */
public final class HealthCheckCost {

    private static final int LISTENERS = 100;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--serve")) {
            ServerNamespace.serve(args[1], Integer.parseInt(args[2]), List.of(args).contains("--http"));
            return;
        }
        List<String> flags = List.of(args);
        // --external-servers PORT: the 100 listeners already run on 127.0.0.1:PORT.. in another process
        // (connect-floor --serve PORT [--http]): the C floor's own servers, so both probers face the same ones and
        // neither pays for them; checks are counted as one per server per second.
        int external = flags.indexOf("--external-servers");
        int externalPort = external >= 0 ? Integer.parseInt(args[external + 1]) : 0;
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") && (external < 0 || i != external + 1)) {
                numbers.add(args[i]);
            }
        }
        boolean http = flags.contains("--http");
        // --none: negotiate with service=none, a probe that does no I/O: the cost of scheduling alone.
        boolean none = flags.contains("--none");
        boolean netns = flags.contains("--netns");
        // --maintenancedir: an (empty) maintenancedir configured, so every check also looks for its files.
        Optional<java.nio.file.Path> maintenanceDir = flags.contains("--maintenancedir")
                ? Optional.of(java.nio.file.Files.createTempDirectory("lbd-bench-maintenance"))
                : Optional.empty();
        int servers = numbers.size() > 0 ? Integer.parseInt(numbers.get(0)) : 10_000;
        int seconds = numbers.size() > 1 ? Integer.parseInt(numbers.get(1)) : 20;
        int services = Math.max(1, servers / LISTENERS);

        try {
            if (externalPort > 0) {
                measure(ServerSide.external(externalPort), services, seconds, http, none, maintenanceDir);
            } else if (netns) {
                String why = netnsUnavailable();
                if (why != null) {
                    System.out.println("--netns skipped: " + why);
                    return;
                }
                ServerSide.pinThisProcessToCpu0();
                try (ServerNamespace namespace = ServerNamespace.create(LISTENERS, http)) {
                    System.out.printf("netns: servers in a namespace at %s over veth, RPS + server on CPU 1, prober on CPU 0%n",
                            namespace.serverAddress);
                    measure(ServerSide.of(namespace), services, seconds, http, none, maintenanceDir);
                }
            } else {
                try (Acceptor acceptor = new Acceptor("127.0.0.1", LISTENERS, http)) {
                    Thread acceptorThread = Thread.ofPlatform().name("bench-acceptor").start(acceptor);
                    try {
                        measure(ServerSide.of(acceptor, acceptorThread), services, seconds, http, none, maintenanceDir);
                    } finally {
                        acceptor.close();
                        acceptorThread.join(2_000);
                    }
                }
            }
        } finally {
            if (maintenanceDir.isPresent()) {
                java.nio.file.Files.deleteIfExists(maintenanceDir.get());
            }
        }
    }

    private static String netnsUnavailable() throws Exception {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes()).strip();
        if (!uid.equals("0")) {
            return "needs root (creates a network namespace and a veth pair); run as root or without --netns";
        }
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return "needs 2 CPUs (prober on CPU 0, servers on CPU 1)";
        }
        return null;
    }

    private static void measure(ServerSide side, int services, int seconds, boolean http, boolean none,
                                Optional<java.nio.file.Path> maintenanceDir) throws Exception {
        ClusterConfig config = config(services, side.address(), side.ports(), http, none, maintenanceDir);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        String self = Long.toString(ProcessHandle.current().pid());
        int servers = services * side.ports().size();

        try (HealthMonitor monitor = new HealthMonitor(HealthListener.NONE).start()) {
            monitor.apply(config);
            Thread.sleep(Duration.ofSeconds(5)); // warm-up: first checks are spread over the first interval
            long up = monitor.services().stream().mapToLong(ServiceHealth::upCount).sum();
            System.out.printf("servers=%d up after warm-up=%d check=%s%s%n", servers, up,
                    http ? "negotiate/http" : none ? "negotiate/none (no I/O)" : "connect",
                    maintenanceDir.map(d -> " maintenancedir=" + d).orElse(""));

            long cpu0 = os.getProcessCpuTime();
            long[] t0 = ProcStat.userSys(self);
            long[] soft0 = ProcStat.softirq();
            long[] side0 = side.cpu();
            long accepted0 = side.accepted();
            long wall0 = System.nanoTime();
            Thread.sleep(Duration.ofSeconds(seconds));
            long wall = System.nanoTime() - wall0;
            long accepted = side.accepted() - accepted0;
            long[] side1 = side.cpu();
            long[] soft1 = ProcStat.softirq();
            long[] t1 = ProcStat.userSys(self);
            long cpu = os.getProcessCpuTime() - cpu0;

            // In-process acceptor: subtract its user/kernel time; a separate server process costs us nothing.
            long sideUser = side.inProcess() ? side1[0] - side0[0] : 0;
            long sideSys = side.inProcess() ? side1[1] - side0[1] : 0;
            long user = t1[0] - t0[0] - sideUser;
            long sys = t1[1] - t0[1] - sideSys;
            long monitorCpu = cpu - sideUser - sideSys;
            if (none || !side.countsChecks()) {
                accepted = (long) (servers * (wall / 1e9)); // one check per server per second
            }
            long checks = Math.max(1, accepted);
            long stillUp = monitor.services().stream().mapToLong(ServiceHealth::upCount).sum();
            System.out.printf("measured %d s: %.0f checks/s, process %.1f%% of one core, servers %.1f%% (%s),"
                            + " health monitor %.1f%% of one core (%.1f µs CPU per check); up at end=%d%n",
                    seconds, accepted * 1e9 / wall, pct(cpu, wall),
                    pct(side1[0] + side1[1] - side0[0] - side0[1], wall),
                    side.inProcess() ? "in-process thread, subtracted"
                            : side.countsChecks() ? "separate process on CPU 1, not ours" : "another process, not ours",
                    pct(monitorCpu, wall), monitorCpu / 1e3 / checks, stillUp);
            System.out.printf("health monitor split: user %.1f%% (%.1f µs/check), kernel %.1f%% (%.1f µs/check)%n",
                    pct(user, wall), user / 1e3 / checks, pct(sys, wall), sys / 1e3 / checks);
            StringBuilder perCpu = new StringBuilder();
            for (int i = 1; i < soft1.length; i++) {
                perCpu.append(i == 1 ? "" : ", ").append("cpu").append(i - 1).append(' ')
                        .append(String.format("%.1f%%", pct(soft1[i] - soft0[i], wall)));
            }
            System.out.printf("machine softirq (/proc/stat, everything on the machine): %.1f%% of one core (%s)%n",
                    pct(soft1[0] - soft0[0], wall), perCpu);
        }
    }

    private static double pct(long nanos, long wall) {
        return (double) nanos / wall * 100;
    }

    private static ClusterConfig config(int services, String address, List<Integer> ports, boolean http,
                                        boolean none, Optional<java.nio.file.Path> maintenanceDir) {
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
                reals.add(new RealServer(new RealServerKey(key, Endpoint.of(address, port)),
                        ForwardingMethod.MASQ, 1, Optional.empty(), Optional.empty(), 0));
            }
            list.add(new VirtualService(key, SchedulerKind.WRR, OptionalInt.empty(), Optional.empty(), reals, check,
                    true, Optional.empty(), Optional.empty(), 0, Optional.of(Duration.ofMinutes(15)), 0,
                    SchedulerFlags.NONE));
        }
        GlobalSettings globals = new GlobalSettings(false, Optional.empty(), Optional.empty(), maintenanceDir,
                false, false, false, Optional.empty(), Transport.AUTO, 0, 0, Optional.empty(), Optional.empty(),
                Optional.empty());
        return new ClusterConfig(Optional.empty(), globals, list);
    }

    /** Where the real servers run, how many connections they accepted, and their CPU (user, kernel). */
    private interface ServerSide {
        String address();

        List<Integer> ports();

        long accepted() throws Exception;

        long[] cpu() throws Exception;

        boolean inProcess();

        /** Whether {@link #accepted()} counts the checks (else they are taken as one per server per second). */
        default boolean countsChecks() {
            return true;
        }

        /** The 100 listeners of another process on 127.0.0.1 from {@code firstPort}: nothing counted, nothing ours. */
        static ServerSide external(int firstPort) {
            List<Integer> ports = java.util.stream.IntStream.range(firstPort, firstPort + LISTENERS).boxed().toList();
            return new ServerSide() {
                public String address() {
                    return "127.0.0.1";
                }

                public List<Integer> ports() {
                    return ports;
                }

                public long accepted() {
                    return 0;
                }

                public long[] cpu() {
                    return new long[] {0, 0};
                }

                public boolean inProcess() {
                    return false;
                }

                @Override
                public boolean countsChecks() {
                    return false;
                }
            };
        }

        static ServerSide of(Acceptor acceptor, Thread thread) {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            return new ServerSide() {
                public String address() {
                    return "127.0.0.1";
                }

                public List<Integer> ports() {
                    return acceptor.ports;
                }

                public long accepted() {
                    return acceptor.accepted.get();
                }

                public long[] cpu() {
                    long user = threads.getThreadUserTime(thread.threadId());
                    return new long[] {user, threads.getThreadCpuTime(thread.threadId()) - user};
                }

                public boolean inProcess() {
                    return true;
                }
            };
        }

        static ServerSide of(ServerNamespace namespace) {
            return new ServerSide() {
                public String address() {
                    return namespace.serverAddress;
                }

                public List<Integer> ports() {
                    return namespace.ports;
                }

                public long accepted() throws Exception {
                    return namespace.accepted();
                }

                public long[] cpu() throws Exception {
                    return ProcStat.userSys(Long.toString(namespace.server.pid()));
                }

                public boolean inProcess() {
                    return false;
                }
            };
        }

        /** Every thread of this process (and those it starts later) on CPU 0 only. */
        static void pinThisProcessToCpu0() throws Exception {
            ServerNamespace.run("taskset", "-a", "-p", "-c", "0", Long.toString(ProcessHandle.current().pid()));
        }
    }

    private HealthCheckCost() {
    }
}
