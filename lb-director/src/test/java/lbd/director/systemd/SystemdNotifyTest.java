package lbd.director.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import lbd.director.unix.UnixDatagramSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifyTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void notificationsReachAPathSocketAsOneDatagramEach(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        try (NotifySocketListener systemd = new NotifySocketListener(path);
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), 1)) {
            assertThat(notify.enabled()).isTrue();
            notify.ready("2 virtual services,\n3 of 4 real servers up");
            notify.stopping("draining");
            assertThat(systemd.next(WAIT)).contains("READY=1\nSTATUS=2 virtual services, 3 of 4 real servers up");
            assertThat(systemd.next(WAIT)).contains("STOPPING=1\nSTATUS=draining");
        }
    }

    /**
     * The listener's queue holds {@code net.unix.max_dgram_qlen} datagrams (10 by default) and systemd may be slow
     * to read: a READY=1 dropped on a full queue left the suite's live test (and would leave systemd) waiting for
     * the end of a reload it never heard of. A change of state waits for room; here the queue is full of watchdog
     * pings when READY=1 is sent, and READY=1 still arrives once the listener reads.
     */
    @Test
    void aChangeOfStateWaitsForRoomInAFullQueue(@TempDir Path dir) throws Exception {
        String path = dir.resolve("notify").toString();
        try (NotifySocketListener systemd = new NotifySocketListener(path);
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), 1);
             UnixDatagramSocket filler = new UnixDatagramSocket(path)) {
            int queued = 0;
            while (filler.send("WATCHDOG=1".getBytes(StandardCharsets.UTF_8))) {
                queued++;
                assertThat(queued).as("datagrams the listener's queue took").isLessThan(100_000);
            }
            assertThat(queued).isPositive();
            Thread ready = Thread.ofPlatform().start(() -> notify.ready("1 virtual service, 2 of 2 real servers up"));
            ready.join(200); // sent now, it finds the queue full: dropped before, waiting since
            assertThat(ready.isAlive()).as("READY=1 waits for room").isTrue();
            assertThat(systemd.awaitContaining("READY=1", WAIT))
                    .contains("READY=1\nSTATUS=1 virtual service, 2 of 2 real servers up");
            ready.join(WAIT.toMillis());
            assertThat(ready.isAlive()).isFalse();
        }
    }

    @Test
    void aWaitingSendGivesUpAtItsBound(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        try (NotifySocketListener systemd = new NotifySocketListener(path);
             UnixDatagramSocket socket = new UnixDatagramSocket(path, Duration.ofMillis(100))) {
            while (socket.send(new byte[] {1})) {
                // fill the listener's queue
            }
            assertThat(socket.sendWaiting(new byte[] {2})).as("no room within the bound").isFalse();
            assertThat(systemd.next(WAIT)).contains("\u0001");
            assertThat(socket.sendWaiting(new byte[] {2})).as("one datagram read: room for one").isTrue();
        }
    }

    @Test
    void anUpgradeNamesTheNewMainProcess(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        try (NotifySocketListener systemd = new NotifySocketListener(path);
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), 1)) {
            notify.mainPid(4950, "handed over to pid 4950 (lbd upgrade)");
            assertThat(systemd.next(WAIT)).contains("MAINPID=4950\nSTATUS=handed over to pid 4950 (lbd upgrade)");
        }
    }

    @Test
    void anAtSignNamesTheAbstractNamespaceAsSystemdWritesIt() {
        String name = "@lbd-test-notify-" + ProcessHandle.current().pid();
        try (NotifySocketListener systemd = new NotifySocketListener(name);
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", name), 1)) {
            notify.watchdogAlive("ok");
            assertThat(systemd.next(WAIT)).contains("WATCHDOG=1\nSTATUS=ok");
        }
    }

    @Test
    void aReloadCarriesTheMonotonicClockInMicroseconds(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        try (NotifySocketListener systemd = new NotifySocketListener(path);
             SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), 1)) {
            long before = System.nanoTime() / 1000;
            notify.reloading();
            long after = System.nanoTime() / 1000;
            Optional<String> message = systemd.next(WAIT);
            assertThat(message).isPresent();
            assertThat(message.get().lines()).contains("RELOADING=1");
            long usec = Long.parseLong(message.get().lines().filter(l -> l.startsWith("MONOTONIC_USEC="))
                    .findFirst().orElseThrow().substring("MONOTONIC_USEC=".length()));
            assertThat(usec).isBetween(before, after);
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndNothingFails(@TempDir Path dir) throws Exception {
        try (SystemdNotify notify = SystemdNotify.fromEnvironment(Map.of(), 1)) {
            assertThat(notify.enabled()).isFalse();
            notify.ready("x");
            notify.reloading();
            assertThat(notify.watchdog()).isEmpty();
        }
        assertThat(Files.list(dir)).isEmpty();
    }

    @Test
    void theWatchdogIntervalIsReadOnlyWhenItIsMeantForThisProcess() {
        assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000"), 42))
                .contains(Duration.ofSeconds(30));
        assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42))
                .contains(Duration.ofSeconds(30));
        assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42))
                .isEmpty();
        assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "0"), 42)).isEmpty();
        assertThat(SystemdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "soon"), 42)).isEmpty();
    }
}
