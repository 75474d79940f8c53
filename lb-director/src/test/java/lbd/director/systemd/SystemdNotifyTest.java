package lbd.director.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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
