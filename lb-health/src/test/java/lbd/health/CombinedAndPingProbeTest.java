package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import lbd.config.model.CheckType;
import lbd.config.model.ServiceType;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CombinedAndPingProbeTest {

    /** Records which probe ran and answers from a script. */
    private static final class Scripted implements Probe {
        final String name;
        final List<String> log;
        boolean up = true;

        Scripted(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public ProbeResult check() {
            log.add(name);
            return up ? ProbeResult.up(name) : ProbeResult.down(name);
        }
    }

    @Test
    void checktypeNRunsNConnectsThenOneNegotiate() throws Exception {
        List<String> log = new ArrayList<>();
        Scripted connect = new Scripted("c", log);
        Scripted negotiate = new Scripted("n", log);
        CombinedProbe probe = new CombinedProbe(connect, negotiate, 2);
        for (int i = 0; i < 7; i++) {
            probe.check();
        }
        // As ldirectord: the first check negotiates, then N connects per negotiate.
        assertThat(log).containsExactly("n", "c", "c", "n", "c", "c", "n");
    }

    @Test
    void aFailedConnectMakesTheNextCheckNegotiateUntilOneSucceeds() throws Exception {
        List<String> log = new ArrayList<>();
        Scripted connect = new Scripted("c", log);
        Scripted negotiate = new Scripted("n", log);
        CombinedProbe probe = new CombinedProbe(connect, negotiate, 3);
        probe.check();            // n
        connect.up = false;
        probe.check();            // c fails
        negotiate.up = false;
        probe.check();            // n fails
        probe.check();            // n again
        negotiate.up = true;
        connect.up = true;
        probe.check();            // n succeeds
        probe.check();            // c
        assertThat(log).containsExactly("n", "c", "n", "n", "n", "c");
    }

    @Test
    void unsupportedServicesSayWhatToUseInstead() throws Exception {
        TestConfig config = TestConfig.negotiate(ServiceType.ORACLE); // the only one left (lb-config refuses it)
        Probe probe = Probes.forSpec(config.spec(1521)).orElseThrow();
        assertThat(probe.check()).isEqualTo(ProbeResult.down(
                "negotiate: service=oracle is not supported yet; use checktype=connect or checktype=external"));
    }

    @Test
    void pingEitherAnswersFromLoopbackOrSaysItIsNotSupported() throws Exception {
        TestConfig config = TestConfig.connect();
        config.type = CheckType.PING;
        ProbeResult result = new PingProbe(config.spec(0)).check();
        if (PingProbe.supported()) {
            assertThat(result.up()).isTrue(); // 127.0.0.1 answers whenever ping works at all
        } else {
            assertThat(result).isEqualTo(ProbeResult.down("ping: not supported on this host (no ping command "
                    + "in PATH); install iputils-ping or use checktype=connect"));
        }
    }

    @Test
    void onAndOffNeverProbe() {
        TestConfig config = TestConfig.connect();
        config.type = CheckType.ON;
        assertThat(Probes.forSpec(config.spec(80))).isEmpty();
        config.type = CheckType.OFF;
        assertThat(Probes.forSpec(config.spec(80))).isEmpty();
    }
}
