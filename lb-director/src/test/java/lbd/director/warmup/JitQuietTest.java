package lbd.director.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class JitQuietTest {

    @Test
    void quietOnlyOnceIdleAtEverySampleAcrossTheWindowsConnections() {
        JitQuiet quiet = new JitQuiet(4_096);
        assertThat(quiet.sample(true, 10_000)).isFalse();
        assertThat(quiet.sample(true, 12_000)).isFalse();
        assertThat(quiet.sample(true, 14_095)).isFalse();
        assertThat(quiet.sample(true, 14_096)).isTrue();
    }

    @Test
    void aCompilationStartsTheWindowAnew() {
        JitQuiet quiet = new JitQuiet(4_096);
        quiet.sample(true, 0);
        quiet.sample(true, 4_000);
        assertThat(quiet.sample(false, 4_095)).isFalse(); // a method moved on to a tier C2 compiles
        assertThat(quiet.sample(true, 4_200)).isFalse();
        assertThat(quiet.sample(true, 8_295)).isFalse();
        assertThat(quiet.sample(true, 8_296)).isTrue();
    }

    @Test
    void oneIdleSampleIsNotAWindowHoweverManyConnectionsItFollows() {
        JitQuiet quiet = new JitQuiet(4_096);
        assertThat(quiet.sample(false, 0)).isFalse();
        assertThat(quiet.sample(true, 50_000)).isFalse();
        assertThat(quiet.sample(true, 54_096)).isTrue();
    }

    @Test
    void theDefaultWindowIsTwiceTheTierTwoNotificationIntervalOfThisJvm() {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        int log = Integer.parseInt(hotspot.getVMOption("Tier2InvokeNotifyFreqLog").getValue());
        assertThat(JitQuiet.CONNECTIONS).isEqualTo(2 << log);
    }
}
