package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import lbd.config.model.CheckType;
import lbd.config.model.Endpoint;
import lbd.config.model.RealServer;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualServiceKey;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HealthMonitorTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final RecordingListener listener = new RecordingListener();
    private final HealthMonitor monitor = new HealthMonitor(listener).start();
    private final List<AutoCloseable> resources = new java.util.ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        monitor.close();
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private TestHttpServer http() throws Exception {
        TestHttpServer server = new TestHttpServer();
        resources.add(server);
        return server;
    }

    private HealthState state(VirtualServiceKey service, int port) {
        return MonitorView.status(monitor, service, port).state();
    }

    private TestConfig httpConfig() {
        TestConfig config = TestConfig.negotiate(ServiceType.HTTP);
        config.request = Optional.of("lbcheck.html");
        config.receive = Optional.of("found");
        return config;
    }

    @Test
    void inheritedVerdictsArePublishedAtOnceAndTheChecksGoOnFromThem() throws Exception {
        TestHttpServer good = http();
        int dead = MonitorView.closedPort();
        TestConfig config = httpConfig();
        RealServer up = config.real(good.port());
        RealServer down = config.real(dead);
        monitor.inherit(Map.of(
                up.key(), new InheritedVerdict(HealthState.UP, "negotiate: found", false),
                down.key(), new InheritedVerdict(HealthState.DOWN, "negotiate: connection refused", false)));
        monitor.apply(config.cluster(List.of(up, down)));

        // The view as the old process had it, from the apply on: checked, no "not checked yet" window.
        ServiceHealth initial = monitor.service(config.key()).orElseThrow();
        assertThat(initial.servers()).allSatisfy(s -> assertThat(s.checked()).isTrue());
        assertThat(state(config.key(), good.port())).isEqualTo(HealthState.UP);
        assertThat(state(config.key(), dead)).isEqualTo(HealthState.DOWN);
        assertThat(MonitorView.status(monitor, config.key(), dead).reason()).isEqualTo("negotiate: connection refused");

        // The checks go on from there: a few rounds confirm both verdicts, and confirming is no transition.
        long rounds = System.nanoTime() + Duration.ofMillis(600).toNanos();
        await().atMost(WAIT).until(() -> System.nanoTime() - rounds > 0
                && MonitorView.status(monitor, config.key(), good.port()).lastCheck().isPresent());
        assertThat(state(config.key(), good.port())).isEqualTo(HealthState.UP);
        assertThat(state(config.key(), dead)).isEqualTo(HealthState.DOWN);
        assertThat(listener.events).isEmpty();
    }

    @Test
    void serversStartDownAndComeUpOnTheirFirstSuccess() throws Exception {
        TestHttpServer good = http();
        int dead = MonitorView.closedPort();
        TestConfig config = httpConfig();
        monitor.apply(config.cluster(List.of(config.real(good.port()), config.real(dead))));

        ServiceHealth initial = monitor.service(config.key()).orElseThrow();
        assertThat(initial.servers()).allSatisfy(s -> assertThat(s.state()).isEqualTo(HealthState.DOWN));

        await().atMost(WAIT).until(() -> state(config.key(), good.port()) == HealthState.UP);
        await().atMost(WAIT).until(() -> listener.has(dead, HealthState.DOWN,
                r -> r.equals("negotiate: connection refused")));
        assertThat(listener.eventsFor(good.port())).singleElement()
                .satisfies(e -> assertThat(e.state()).isEqualTo(HealthState.UP));
    }

    @Test
    void failurecountThreeTakesThreeConsecutiveFailuresAndOneSuccessBringsItBack() throws Exception {
        TestHttpServer server = http();
        TestConfig config = httpConfig();
        config.failureCount = 3;
        AtomicInteger failuresAtDown = new AtomicInteger(-1);
        listener.onEachTransition.add(() -> {
            HealthEvent last = listener.events.getLast();
            if (last.state() == HealthState.DOWN) {
                failuresAtDown.compareAndSet(-1, server.failuresServed.get());
            }
        });
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        // The view is published before the listener hears of a transition: wait for what is asserted, the
        // listener's events (waiting for the view and then reading the events raced, seen under load).
        server.answer(500, "found");
        await().atMost(WAIT).until(() -> failuresAtDown.get() >= 0); // set by the listener on the DOWN event
        assertThat(failuresAtDown.get()).isEqualTo(3);
        assertThat(listener.events.getLast().reason()).isEqualTo("negotiate: HTTP 500 Internal Server Error");

        server.answer(200, "found");
        await().atMost(WAIT).until(() -> listener.eventsFor(server.port()).size() == 3);
        assertThat(listener.eventsFor(server.port())).extracting(HealthEvent::state)
                .containsExactly(HealthState.UP, HealthState.DOWN, HealthState.UP);
    }

    @Test
    void everyTransitionIsLoggedOnceWithItsReasonAndSuccessesAreNotLogged() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("lbd.health");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            TestHttpServer server = http();
            TestConfig config = httpConfig();
            server.answer(200, "x".repeat(4096));
            monitor.apply(config.cluster(List.of(config.real(server.port()))));
            await().atMost(WAIT).until(() -> server.requests.get() >= 5); // several failed checks
            server.answer(200, "found");
            await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);
            int seen = server.requests.get();
            await().atMost(WAIT).until(() -> server.requests.get() >= seen + 5); // several successful checks

            List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.startsWith("127.0.0.1:" + server.port())).toList();
            assertThat(lines).containsExactly(
                    "127.0.0.1:" + server.port() + " down: negotiate: receive \"found\" not matched (HTTP 200, 4 KB)"
                            + " [virtual TCP 198.18.0.1:80]",
                    "127.0.0.1:" + server.port() + " up: negotiate: HTTP 200 [virtual TCP 198.18.0.1:80]");
            // The same facts as key-value pairs, which every log format writes (text: logfmt; json: fields).
            List<ILoggingEvent> logged;
            synchronized (appender) { // the appender's own lock: the monitor's thread may be appending
                logged = List.copyOf(appender.list);
            }
            List<Map<String, String>> pairs = logged.stream()
                    .filter(e -> e.getFormattedMessage().startsWith("127.0.0.1:" + server.port()))
                    .map(e -> e.getKeyValuePairs().stream()
                            .collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value), (a, b) -> b,
                                    LinkedHashMap::new)))
                    .map(m -> (Map<String, String>) m).toList();
            assertThat(pairs).containsExactly(
                    Map.of("event", "health", "service", "TCP 198.18.0.1:80", "server", "127.0.0.1:" + server.port(),
                            "state", "down", "reason", "negotiate: receive \"found\" not matched (HTTP 200, 4 KB)",
                            "maintenance", "false"),
                    Map.of("event", "health", "service", "TCP 198.18.0.1:80", "server", "127.0.0.1:" + server.port(),
                            "state", "up", "reason", "negotiate: HTTP 200", "maintenance", "false"));
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void anApplyThatOnlyChangesQuiescentKeepsEachVerdict() throws Exception {
        TestHttpServer up = http();
        int dead = MonitorView.closedPort();
        TestConfig config = httpConfig();
        config.quiescent = true;
        RealServer upServer = TestConfig.real(config.key(), Endpoint.of("127.0.0.1", up.port()), 5);
        monitor.apply(config.cluster(List.of(upServer, config.real(dead))));
        await().atMost(WAIT).until(() -> state(config.key(), up.port()) == HealthState.UP
                && listener.has(dead, HealthState.DOWN, r -> true));
        // What quiescent does with a down server is the director's table rule (TableFactoryTest); here: an
        // apply that only changes quiescent keeps each server's verdict.
        config.quiescent = false;
        monitor.apply(config.cluster(List.of(upServer, config.real(dead))));
        assertThat(state(config.key(), up.port())).isEqualTo(HealthState.UP);
        assertThat(state(config.key(), dead)).isEqualTo(HealthState.DOWN);
    }

    @Test
    void fallbackIsActivatedWhenAllAreDownAndWithdrawnWhenOneComesBackRunningFallbackcommand(@TempDir Path dir)
            throws Exception {
        TestHttpServer server = http();
        Path record = dir.resolve("fallback.log");
        Path command = ExternalProbeTest.script(dir, "fallback.sh", "echo \"$@\" >> " + record);
        TestConfig config = httpConfig();
        config.fallback = Optional.of(Endpoint.of("127.0.0.1", 8080));
        config.fallbackCommand = Optional.of(command.toString());
        server.answer(503, "maintenance");
        monitor.apply(config.cluster(List.of(config.real(server.port()))));

        await().atMost(WAIT).until(() -> listener.fallbacks.size() == 1);
        assertThat(listener.fallbacks.getFirst()).isEqualTo(new RecordingListener.Fallback(config.key(), true));
        assertThat(monitor.service(config.key()).orElseThrow().fallbackActive()).isTrue();

        server.answer(200, "found");
        await().atMost(WAIT).until(() -> listener.fallbacks.size() == 2);
        assertThat(listener.fallbacks.getLast()).isEqualTo(new RecordingListener.Fallback(config.key(), false));
        assertThat(monitor.service(config.key()).orElseThrow().fallbackActive()).isFalse();
        await().atMost(WAIT).until(() -> Files.exists(record) && Files.readAllLines(record).size() == 2);
        assertThat(Files.readAllLines(record)).containsExactly(
                "start 198.18.0.1:80 tcp", "stop 198.18.0.1:80 tcp");
    }

    @Test
    void aFileInMaintenancedirTakesTheServerOutUntilRemoved(@TempDir Path dir) throws Exception {
        TestHttpServer server = http();
        TestConfig config = httpConfig();
        config.maintenanceDir = Optional.of(dir);
        config.failureCount = 5; // maintenance does not wait for failurecount
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        Path file = Files.createFile(dir.resolve("127.0.0.1:" + server.port()));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.DOWN);
        HealthEvent down = listener.events.getLast();
        assertThat(down.reason()).isEqualTo("maintenance");
        assertThat(down.maintenance()).isTrue();
        int requestsAtDown = server.requests.get();
        Thread.sleep(400);
        assertThat(server.requests.get()).as("no checks while in maintenance").isLessThanOrEqualTo(requestsAtDown + 1);

        Files.delete(file);
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);

        Files.createFile(dir.resolve("127.0.0.1")); // the IP alone covers every port
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.DOWN);
    }

    @Test
    void aHungServerDoesNotDelayChecksOfAnother() throws Exception {
        HungServer hung = new HungServer();
        resources.add(hung);
        TestHttpServer healthy = http();
        TestConfig config = httpConfig();
        config.negotiateTimeout = Duration.ofSeconds(3);
        monitor.apply(config.cluster(List.of(config.real(hung.port()), config.real(healthy.port()))));

        await().atMost(WAIT).until(() -> hung.accepted() >= 1);
        int before = healthy.requests.get();
        Thread.sleep(1_000); // well inside the hung server's 3 s probe
        // checkinterval is 100 ms: ~10 checks in that second if nothing waits for the hung one.
        assertThat(healthy.requests.get() - before).isGreaterThanOrEqualTo(5);
        assertThat(hung.accepted()).as("probes of one server never overlap").isEqualTo(1);
        assertThat(state(config.key(), healthy.port())).isEqualTo(HealthState.UP);
    }

    @Test
    void closeInterruptsAProbeInFlightAndLeavesNoCheckThread() throws Exception {
        HungServer hung = new HungServer();
        resources.add(hung);
        TestConfig config = httpConfig();
        config.negotiateTimeout = Duration.ofSeconds(20); // longer than this test may take
        monitor.apply(config.cluster(List.of(config.real(hung.port()))));
        await().atMost(WAIT).until(() -> hung.accepted() >= 1);

        monitor.close();

        assertThat(hung.closedByPeer(0, WAIT)).as("the probe in flight was interrupted and closed its socket").isTrue();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(
                t -> t.getName().startsWith("lbd-health") && t.isAlive());
        Thread.sleep(300); // three intervals: a check still scheduled would connect again
        assertThat(hung.accepted()).isEqualTo(1);
    }

    private Optional<Duration> lastCheck(VirtualServiceKey service, int port) {
        return monitor.service(service).orElseThrow().servers().stream()
                .filter(s -> s.server().address().port() == port).findFirst().orElseThrow().lastCheck();
    }

    @Test
    void everyProbePublishesHowLongItTookAlsoWithoutAStateChange() throws Exception {
        HungServer hung = new HungServer();
        resources.add(hung);
        TestHttpServer healthy = http();
        TestConfig config = httpConfig();
        config.negotiateTimeout = Duration.ofMillis(500);
        monitor.apply(config.cluster(List.of(config.real(hung.port()), config.real(healthy.port()))));
        assertThat(lastCheck(config.key(), healthy.port())).as("not probed yet").isEmpty();

        await().atMost(WAIT).until(() -> lastCheck(config.key(), healthy.port()).isPresent());
        Duration first = lastCheck(config.key(), healthy.port()).orElseThrow();
        assertThat(first).isPositive();
        // checkinterval is 100 ms and the server stays UP: later probes are published all the same.
        await().atMost(WAIT).until(() -> !lastCheck(config.key(), healthy.port()).orElseThrow().equals(first));

        // A probe that waits out its timeout reports (at least about) that timeout.
        await().atMost(WAIT).until(() -> lastCheck(config.key(), hung.port()).isPresent());
        assertThat(lastCheck(config.key(), hung.port()).orElseThrow()).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    @Test
    void reloadKeepsStateOfUnchangedServersAddsNewOnesAndDropsRemovedOnes() throws Exception {
        TestHttpServer kept = http();
        TestHttpServer removed = http();
        TestHttpServer added = http();
        TestConfig config = httpConfig();
        config.failureCount = 3;
        monitor.apply(config.cluster(List.of(config.real(kept.port()), config.real(removed.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), kept.port()) == HealthState.UP
                && state(config.key(), removed.port()) == HealthState.UP);
        kept.answer(500, "");
        await().atMost(WAIT).until(() -> kept.failuresServed.get() >= 1);
        int eventsBefore = listener.eventsFor(kept.port()).size();

        RealServer keptHeavier = TestConfig.real(config.key(), Endpoint.of("127.0.0.1", kept.port()), 7);
        monitor.apply(config.cluster(List.of(keptHeavier, config.real(added.port()))));

        ServiceHealth after = monitor.service(config.key()).orElseThrow();
        assertThat(after.servers()).extracting(s -> s.server().address().port())
                .containsExactly(kept.port(), added.port());
        assertThat(after.servers().getFirst().state()).isEqualTo(HealthState.UP);
        assertThat(after.servers().getFirst().server().weight()).isEqualTo(7);
        assertThat(after.servers().get(1).reason()).isEqualTo("not checked yet");
        await().atMost(WAIT).until(() -> state(config.key(), added.port()) == HealthState.UP);

        // The failure count survived the reload: the unchanged checker keeps counting to 3 and goes down.
        await().atMost(WAIT).until(() -> state(config.key(), kept.port()) == HealthState.DOWN);
        assertThat(kept.failuresServed.get()).isGreaterThanOrEqualTo(3);
        assertThat(listener.eventsFor(kept.port()).subList(eventsBefore, listener.eventsFor(kept.port()).size()))
                .extracting(HealthEvent::state).containsExactly(HealthState.DOWN);

        int removedRequests = removed.requests.get();
        Thread.sleep(400);
        assertThat(removed.requests.get()).as("removed servers are no longer checked")
                .isLessThanOrEqualTo(removedRequests + 1);
    }

    @Test
    void changedCheckSettingsRestartChecksFromTheCurrentState() throws Exception {
        TestHttpServer server = http();
        TestConfig config = httpConfig();
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        await().atMost(WAIT).until(() -> state(config.key(), server.port()) == HealthState.UP);
        config.request = Optional.of("other.html");
        monitor.apply(config.cluster(List.of(config.real(server.port()))));
        assertThat(state(config.key(), server.port())).isEqualTo(HealthState.UP);
        await().atMost(WAIT).until(() -> server.requestLines.contains("GET /other.html HTTP/1.0"));
        assertThat(listener.eventsFor(server.port())).hasSize(1); // the first UP only: no flap on reload
    }

    @Test
    void checktypeOnIsUpWithoutChecksAndOffActivatesNothing() throws Exception {
        TestHttpServer server = http();
        TestConfig on = httpConfig();
        on.type = CheckType.ON;
        monitor.apply(on.cluster(List.of(on.real(server.port()))));
        assertThat(state(on.key(), server.port())).isEqualTo(HealthState.UP);

        TestConfig off = httpConfig();
        off.type = CheckType.OFF;
        off.fallback = Optional.of(Endpoint.of("127.0.0.1", 8080));
        monitor.apply(off.cluster(List.of(off.real(server.port()))));
        assertThat(monitor.service(off.key()).orElseThrow().fallbackActive()).as("checktype=off activates nothing")
                .isFalse();
        assertThat(listener.eventsFor(server.port())).extracting(HealthEvent::state, HealthEvent::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(HealthState.UP, "checktype=on"),
                        org.assertj.core.groups.Tuple.tuple(HealthState.DOWN, "checktype=off"));
        Thread.sleep(300);
        assertThat(server.requests.get()).isZero();
        assertThat(listener.fallbacks).isEmpty();
    }

    @Test
    void checktypeOnHonoursMaintenancedirAtEachCheckinterval(@TempDir Path dir) throws Exception {
        // As ldirectord's _check_real: the maintenance file is looked at before the check type, so it takes a
        // checktype=on server out; the server still gets no connection.
        Path maintenance = Files.createDirectory(dir.resolve("maintenance"));
        Path log = dir.resolve("monitor.log");
        TestHttpServer server = http();
        TestConfig on = httpConfig();
        on.type = CheckType.ON;
        on.maintenanceDir = Optional.of(maintenance);
        on.monitorFile = Optional.of(log);
        monitor.apply(on.cluster(List.of(on.real(server.port()))));
        assertThat(state(on.key(), server.port())).isEqualTo(HealthState.UP);

        Path file = Files.createFile(maintenance.resolve("127.0.0.1:" + server.port()));
        await().atMost(WAIT).until(() -> state(on.key(), server.port()) == HealthState.DOWN);
        RealServerStatus down = MonitorView.status(monitor, on.key(), server.port());
        assertThat(down.reason()).isEqualTo("maintenance");
        assertThat(down.maintenance()).isTrue();
        assertThat(listener.eventsFor(server.port()).getLast()).extracting(HealthEvent::state, HealthEvent::reason,
                HealthEvent::maintenance).containsExactly(HealthState.DOWN, "maintenance", true);
        await().atMost(WAIT).until(() -> Files.exists(log)
                && Files.readAllLines(log).stream().anyMatch(l -> l.endsWith("[down] Server in maintenance")));

        Files.delete(file);
        await().atMost(WAIT).until(() -> state(on.key(), server.port()) == HealthState.UP);
        assertThat(listener.eventsFor(server.port()).getLast()).extracting(HealthEvent::state, HealthEvent::reason,
                HealthEvent::maintenance).containsExactly(HealthState.UP, "checktype=on", false);
        assertThat(MonitorView.status(monitor, on.key(), server.port()).lastCheck()).as("nothing is probed").isEmpty();

        Files.createFile(maintenance.resolve("127.0.0.1")); // the IP alone covers every port, as for other checks
        await().atMost(WAIT).until(() -> state(on.key(), server.port()) == HealthState.DOWN);
        assertThat(server.requests.get()).isZero();
        // ldirectord writes a monitorfile line for checktype=on only while the server is in maintenance.
        assertThat(Files.readAllLines(log)).noneMatch(l -> l.contains("[up]"));
    }

    @Test
    void aChecktypeOnServerWhoseFileExistsAtApplyNeverStartsUp(@TempDir Path dir) throws Exception {
        Files.createFile(dir.resolve("127.0.0.1:81"));
        TestConfig on = httpConfig();
        on.type = CheckType.ON;
        on.maintenanceDir = Optional.of(dir);
        monitor.apply(on.cluster(List.of(on.real(81), on.real(82))));
        assertThat(MonitorView.status(monitor, on.key(), 81)).extracting(RealServerStatus::state,
                RealServerStatus::reason, RealServerStatus::maintenance)
                .containsExactly(HealthState.DOWN, "maintenance", true);
        assertThat(state(on.key(), 82)).isEqualTo(HealthState.UP);
        assertThat(listener.eventsFor(81)).extracting(HealthEvent::state).containsExactly(HealthState.DOWN);
    }

    @Test
    void externalChecksDriveTheState(@TempDir Path dir) throws Exception {
        Path flag = dir.resolve("healthy");
        Path command = ExternalProbeTest.script(dir, "check.sh", "test -e " + flag);
        TestConfig config = TestConfig.connect();
        config.type = CheckType.EXTERNAL;
        config.checkCommand = Optional.of(command.toString());
        monitor.apply(config.cluster(List.of(config.real(9))));
        await().atMost(WAIT).until(() -> listener.has(9, HealthState.DOWN, r -> r.equals("external: exit 1")));
        Files.createFile(flag);
        await().atMost(WAIT).until(() -> state(config.key(), 9) == HealthState.UP);
    }

    @Test
    void applyBeforeStartIsAClearError() {
        HealthMonitor notStarted = new HealthMonitor(HealthListener.NONE);
        TestConfig config = TestConfig.connect();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> notStarted.apply(config.cluster(List.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("health monitor not started: call start() before apply()");
    }
}
