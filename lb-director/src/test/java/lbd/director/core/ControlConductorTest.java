package lbd.director.core;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import lbd.director.TestHttp;
import lbd.director.demo.DemoBackends;
import lbd.health.HealthEvent;
import lbd.health.HealthState;
import lbd.health.RealServerStatus;
import lbd.health.ServiceHealth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The control plane is one conductor: its inputs are ordered on one inbox, a health flap rebuilds its own
 * service's table and no other, and a VIP accepts only once its table is published.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControlConductorTest {

    @TempDir
    Path dir;

    /**
     * An lbadm -a/-d loop racing 50 reloads: whatever the interleaving, the health checks end up following the
     * effective configuration (reload, then the edits since it), never a stale server set.
     */
    @Test
    void lbadmEditsRacingReloadsLeaveTheChecksOnTheEffectiveServerSet() throws Exception {
        int vipPort = freePort();
        int[] real = {freePort(), freePort(), freePort(), freePort()};
        String service = "virtual=127.0.0.1:%d\n\tprotocol=tcp\n\tscheduler=wrr\n\tchecktype=on\n".formatted(vipPort);
        ClusterConfig a = load("a.cf", service + "\treal=127.0.0.1:%d masq\n\treal=127.0.0.1:%d masq\n"
                .formatted(real[0], real[1]));
        ClusterConfig b = load("b.cf", service + "\treal=127.0.0.1:%d masq\n\treal=127.0.0.1:%d masq\n"
                .formatted(real[0], real[2]));
        VirtualServiceKey vip = new VirtualServiceKey(Protocol.TCP, Endpoint.of("127.0.0.1", vipPort));
        RealServerKey edited = new RealServerKey(vip, Endpoint.of("127.0.0.1", real[3]));

        Director director = Director.start(a, Transport.NIO, 1);
        try {
            AtomicBoolean reloading = new AtomicBoolean(true);
            AtomicInteger edits = new AtomicInteger();
            Thread lbadm = new Thread(() -> {
                while (reloading.get()) {
                    try {
                        director.addServer(edited, ForwardingMethod.MASQ, 1);
                        edits.incrementAndGet();
                        director.deleteServer(edited);
                        edits.incrementAndGet();
                        director.addServer(edited, ForwardingMethod.MASQ, 1);
                        edits.incrementAndGet();
                    } catch (DirectorException refused) {
                        // a reload in between cleared the edits ("no such destination") or kept one ("exists")
                    }
                }
            }, "lbadm-loop");
            lbadm.start();
            for (int i = 0; i < 50; i++) {
                director.reload(i % 2 == 0 ? b : a);
            }
            reloading.set(false);
            lbadm.join(30_000);

            assertThat(edits.get()).as("lbadm edits interleaved with the reloads").isGreaterThan(0);
            ClusterConfig effective = director.onControl(director::effectiveConfig);
            assertThat(checkedServers(director)).isEqualTo(servers(effective));
        } finally {
            director.close();
        }
    }

    /**
     * 1,000 verdicts flapping one server of one service among 100: only that service's table is rebuilt, and
     * every other service keeps its published table instance, so no worker re-installs it.
     */
    @Test
    void healthFlapsOnOneServiceRebuildOnlyThatServicesTable() throws Exception {
        int port = freePort();
        int realPort = freePort();
        StringBuilder cf = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            cf.append("virtual=127.0.1.%d:%d\n\treal=127.0.0.1:%d masq\n\tprotocol=tcp\n\tscheduler=wlc\n\tchecktype=on\n"
                    .formatted(i, port, realPort));
        }
        ClusterConfig config = load("hundred.cf", cf.toString());
        Director director = Director.start(config, Transport.NIO, 1);
        try {
            director.onControl(() -> null); // the first verdicts of every service are applied by now
            VirtualServiceKey flapping = config.virtualServices().get(0).key();
            RealServerKey server = config.virtualServices().get(0).realServers().get(0).key();
            Map<VirtualServiceKey, Long> buildsBefore = new HashMap<>();
            Map<VirtualServiceKey, ServiceTable> tablesBefore = director.publisher().current().services();
            director.onControl(() -> {
                config.virtualServices().forEach(vs -> buildsBefore.put(vs.key(), director.tableBuilds(vs.key())));
                return null;
            });

            for (int i = 0; i < 1_000; i++) {
                HealthState state = i % 2 == 0 ? HealthState.DOWN : HealthState.UP;
                director.onHealth(new HealthEvent(server, state, "flap " + i, false, Instant.now()));
            }
            director.onControl(() -> null);

            Map<VirtualServiceKey, ServiceTable> tablesAfter = director.publisher().current().services();
            Map<VirtualServiceKey, Long> buildsAfter = director.onControl(() -> config.virtualServices().stream()
                    .collect(Collectors.toMap(VirtualService::key, vs -> director.tableBuilds(vs.key()))));
            for (VirtualService vs : config.virtualServices()) {
                if (vs.key().equals(flapping)) {
                    continue;
                }
                assertThat(buildsAfter.get(vs.key())).as("builds of %s", vs.key()).isEqualTo(buildsBefore.get(vs.key()));
                assertThat(tablesAfter.get(vs.key())).as("table of %s", vs.key()).isSameAs(tablesBefore.get(vs.key()));
            }
            assertThat(buildsAfter.get(flapping)).isGreaterThan(buildsBefore.get(flapping));
            // The last verdict was UP: the flapping service schedules its server again at weight 1.
            assertThat(tablesAfter.get(flapping).destinations()).singleElement()
                    .satisfies(d -> assertThat(d.weight()).isEqualTo(1));
        } finally {
            director.close();
        }
    }

    /**
     * A client hammering a VIP that a reload adds: before the reload it is refused, and from the moment the VIP
     * accepts a connection that connection is served — none is reset for want of a table.
     */
    @ParameterizedTest
    @EnumSource(TransportKind.class)
    void theFirstConnectionsToAVipAddedByReloadAreServedNeverReset(TransportKind kind) throws Exception {
        assumeTrue(NettyTransport.isAvailable(kind),
                () -> "transport " + kind + " is not available here: " + NettyTransport.unavailabilityCause(kind));
        Transport transport = Transport.valueOf(kind.name());
        try (DemoBackends backends = DemoBackends.start("VM2")) {
            int existing = freePort();
            int added = freePort();
            // The clients connect from 127.0.0.1 to 127.0.2.x: a connect to the not-yet-listening port can never
            // be a TCP self-connect, which would hold the port and fail the reload.
            String first = """
                    virtual=127.0.0.2:%d
                    \treal=127.0.0.1:%d masq
                    \tprotocol=tcp
                    \tchecktype=on
                    """.formatted(existing, backends.port(0));
            ClusterConfig before = load("before.cf", first);
            // The reload adds 200 VIPs: a table built after its VIP accepts would leave a window of 200 builds.
            StringBuilder next = new StringBuilder(first);
            for (int i = 1; i <= 200; i++) {
                next.append("virtual=127.0.2.%d:%d\n\treal=127.0.0.1:%d masq\n\tprotocol=tcp\n\tchecktype=on\n"
                        .formatted(i, added, backends.port(0)));
            }
            ClusterConfig after = load("after.cf", next.toString());
            Director director = Director.start(before, transport, 1);
            try {
                AtomicBoolean hammering = new AtomicBoolean(true);
                AtomicInteger refused = new AtomicInteger();
                AtomicInteger served = new AtomicInteger();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                CountDownLatch started = new CountDownLatch(2);
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < 2; c++) {
                    String vip = c == 0 ? "127.0.2.1" : "127.0.2.200";
                    Thread t = new Thread(() -> {
                        started.countDown();
                        while (hammering.get() || served.get() < 50) {
                            String answer = TestHttp.get("127.0.0.1", vip, added);
                            if (TestHttp.REFUSED.equals(answer)) {
                                refused.incrementAndGet();
                            } else if (answer.startsWith("This is VM2")) {
                                served.incrementAndGet();
                            } else {
                                failures.add(answer);
                            }
                        }
                    }, "client-" + c);
                    t.start();
                    clients.add(t);
                }
                started.await();
                while (refused.get() < 20) {
                    Thread.onSpinWait();
                }
                director.reload(after);
                hammering.set(false);
                for (Thread t : clients) {
                    t.join(30_000);
                }
                assertThat(failures).as("accepted connections that were not served").isEmpty();
                assertThat(served.get()).isGreaterThanOrEqualTo(50);
            } finally {
                director.close();
            }
        }
    }

    /** A message that fails — even with an Error, as a class that cannot load — fails alone; the next is applied. */
    @Test
    void aFailingMessageFailsItsCallerAndTheConductorGoesOn() {
        AtomicInteger cycles = new AtomicInteger();
        ControlConductor conductor = new ControlConductor(cycles::incrementAndGet);
        try {
            assertThatThrownBy(() -> conductor.call("load a class", () -> {
                throw new NoClassDefFoundError("lbd/director/listing/Rates");
            })).hasMessageContaining("lbd/director/listing/Rates");
            assertThatThrownBy(() -> conductor.call("a defect", () -> {
                throw new IllegalStateException("defect");
            })).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> conductor.call("an operator's mistake", () -> {
                throw new DirectorException("Service not defined");
            })).isInstanceOf(DirectorException.class);
            assertThat(conductor.call("the next input", () -> 42)).isEqualTo(42);
            assertThat(cycles.get()).as("a cycle ran for the message that was applied").isGreaterThanOrEqualTo(1);
        } finally {
            conductor.close();
        }
        assertThatThrownBy(() -> conductor.call("after close", () -> 1)).hasMessageContaining("lbd is stopping");
    }

    private static Set<RealServerKey> checkedServers(Director director) {
        return director.health().services().stream()
                .map(ServiceHealth::servers)
                .flatMap(List::stream)
                .map(RealServerStatus::server)
                .map(RealServer::key)
                .collect(Collectors.toSet());
    }

    private static Set<RealServerKey> servers(ClusterConfig config) {
        return config.virtualServices().stream()
                .flatMap(vs -> vs.realServers().stream())
                .map(RealServer::key)
                .collect(Collectors.toSet());
    }

    private ClusterConfig load(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result).as("%s", result).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) result).config();
    }
}
