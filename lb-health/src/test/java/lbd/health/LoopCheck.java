package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import lbd.config.model.RealServer;

/**
 * One check of one real server as the monitor runs it on its {@link SocketCheckLoop}: a monitor of its own with just
 * that server, until its first verdict. For comparing the loop's verdicts with a blocking probe's.
 */
final class LoopCheck {

    /** The verdict's state and reason, and how long the probe took. */
    record Verdict(ProbeResult result, Duration took) {
    }

    private LoopCheck() {
    }

    /** Checks {@code real} of {@code config}'s service once on the loop (its interval should be long: one check). */
    static Verdict once(TestConfig config, RealServer real) {
        try (HealthMonitor monitor = new HealthMonitor(HealthListener.NONE).start()) {
            monitor.apply(config.cluster(List.of(real)));
            // The probe's duration is written in place by the loop before its verdict reaches the monitor's event
            // thread: wait for the verdict itself (checked), not only the duration.
            await().atMost(Duration.ofSeconds(8)).until(() -> {
                RealServerStatus status = MonitorView.status(monitor, config.key(), real.address().port());
                return status.checked() && status.lastCheck().isPresent();
            });
            RealServerStatus status = MonitorView.status(monitor, config.key(), real.address().port());
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .as("checked on the socket loop, not by a probe thread").contains("lbd-health-sockets")
                    .doesNotContain("lbd-health-checks");
            return new Verdict(new ProbeResult(status.state() == HealthState.UP, status.reason()),
                    status.lastCheck().orElseThrow());
        }
    }
}
