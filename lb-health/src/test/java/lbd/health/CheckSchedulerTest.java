package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import lbd.config.model.ServiceType;

/** The shared timer of blocking checks: one virtual thread per due check, none while waiting. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CheckSchedulerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final CheckScheduler scheduler = new CheckScheduler();
    private final List<ServerChecker> checkers = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        checkers.forEach(scheduler::stop);
        scheduler.close();
        for (ServerChecker checker : checkers) {
            checker.awaitProbe(System.nanoTime() + WAIT.toNanos());
        }
    }

    private ServerChecker checker(int port, Duration interval, Probe probe) {
        TestConfig config = TestConfig.negotiate(ServiceType.NONE);
        config.interval = interval;
        lbd.config.model.RealServer real = config.real(port);
        CheckSpec spec = config.spec(real);
        RealServerStatus status = new RealServerStatus(real, HealthState.DOWN, "not checked yet", false,
                false);
        ServerChecker checker = new ServerChecker(1, spec, probe, status, status.timing(), report -> { },
                MonitorLine.none(), scheduler);
        checkers.add(checker);
        return checker;
    }

    @Test
    void aProbeThatNeverReturnsDoesNotDelayAnotherServersChecks() {
        CountDownLatch slowStarted = new CountDownLatch(1);
        Probe slow = () -> {
            slowStarted.countDown();
            Thread.sleep(Long.MAX_VALUE);
            return ProbeResult.up("never");
        };
        AtomicInteger fastChecks = new AtomicInteger();
        Probe fast = () -> {
            fastChecks.incrementAndGet();
            return ProbeResult.up("ok");
        };
        scheduler.add(checker(1001, Duration.ofMillis(10), slow));
        scheduler.add(checker(1002, Duration.ofMillis(10), fast));

        await().atMost(WAIT).until(() -> slowStarted.getCount() == 0 && fastChecks.get() >= 20);
    }

    @Test
    void probesOfOneServerNeverOverlapAndTheNextStartsAnIntervalAfterTheLastStarted() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        List<Long> starts = new CopyOnWriteArrayList<>();
        Probe slowerThanItsInterval = () -> {
            starts.add(System.nanoTime());
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(30); // three times the interval: the next check waits for this one
            } finally {
                inFlight.decrementAndGet();
            }
            return ProbeResult.up("ok");
        };
        scheduler.add(checker(1003, Duration.ofMillis(10), slowerThanItsInterval));

        await().atMost(WAIT).until(() -> starts.size() >= 5);
        assertThat(maxInFlight.get()).isEqualTo(1);
        for (int i = 1; i < starts.size(); i++) {
            assertThat(starts.get(i) - starts.get(i - 1)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
        }
    }

    @Test
    void stopInterruptsTheProbeInFlightEndsItsThreadAndStartsNoFurtherCheck() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicInteger probes = new AtomicInteger();
        List<Thread> probeThreads = new CopyOnWriteArrayList<>();
        Probe hangs = () -> {
            probes.incrementAndGet();
            probeThreads.add(Thread.currentThread());
            started.countDown();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return ProbeResult.up("never");
        };
        ServerChecker checker = checker(1004, Duration.ofMillis(10), hangs);
        scheduler.add(checker);
        assertThat(started.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        scheduler.stop(checker);

        assertThat(interrupted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(checker.awaitProbe(System.nanoTime() + WAIT.toNanos())).isTrue();
        assertThat(probeThreads).hasSize(1).allSatisfy(t -> assertThat(t.isAlive()).isFalse());
        Thread.sleep(100); // ten intervals: a check still scheduled would have run by now
        assertThat(probes.get()).isEqualTo(1);
    }

    @Test
    void aStoppedServerIsNotCheckedAgainWhileOthersGoOn() throws InterruptedException {
        AtomicInteger stoppedChecks = new AtomicInteger();
        AtomicInteger otherChecks = new AtomicInteger();
        ServerChecker toStop = checker(1005, Duration.ofMillis(10), () -> {
            stoppedChecks.incrementAndGet();
            return ProbeResult.up("ok");
        });
        scheduler.add(toStop);
        scheduler.add(checker(1006, Duration.ofMillis(10), () -> {
            otherChecks.incrementAndGet();
            return ProbeResult.up("ok");
        }));
        await().atMost(WAIT).until(() -> stoppedChecks.get() >= 3);

        scheduler.stop(toStop);
        assertThat(toStop.awaitProbe(System.nanoTime() + WAIT.toNanos())).isTrue();
        int afterStop = stoppedChecks.get();
        int othersAtStop = otherChecks.get();

        await().atMost(WAIT).until(() -> otherChecks.get() >= othersAtStop + 10);
        assertThat(stoppedChecks.get()).isEqualTo(afterStop);
    }

    @Test
    void closeEndsTheTimerThread() {
        scheduler.close();

        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(
                t -> t.getName().equals("lbd-health-checks") && t.isAlive());
    }
}
