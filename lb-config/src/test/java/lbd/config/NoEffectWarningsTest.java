package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every directive lbd accepts without effect is named on its line with why; none is silently ignored. */
class NoEffectWarningsTest {

    /** Every directive lbd accepts without effect, each once, in its scope. */
    private static final String EVERY_ACCEPTED = """
            fork=yes
            readdquiescent=yes
            virtual=10.0.0.1:8080
            \treal=10.0.0.2:8080 masq
            \tchecktype=connect
            \tlogin="anonymous"
            \tpasswd="secret"
            \tdatabase="db"
            \tsecret="s3"
            \tops=no
            """;

    @Test
    void eachDirectiveAcceptedWithoutEffectIsWarnedAboutOnItsLine() {
        List<String> warnings = Fixtures.warnings(EVERY_ACCEPTED);
        List<Directive> accepted = Arrays.stream(Directive.values())
                .filter(d -> d.support == Directive.Support.ACCEPTED).toList();
        for (Directive d : accepted) {
            assertThat(warnings).as("warning for %s", d.configName)
                    .anyMatch(w -> w.matches("test\\.cf:\\d+: warning: " + d.configName + " has no effect in lbd because .+"));
        }
        assertThat(warnings).hasSize(accepted.size());
        assertThat(warnings.getFirst()).isEqualTo("test.cf:1: warning: fork has no effect in lbd because lbd checks"
                + " every real server concurrently, each on its own checkinterval, without forking (as ldirectord does"
                + " with fork=yes)");
        assertThat(warnings).contains("test.cf:10: warning: ops has no effect in lbd because IPVS applies one-packet"
                + " scheduling to UDP services only, and this one is TCP");
    }

    @Test
    void cleanstopNoGloballyIsActedOnButInABlockIsWarnedAboutWhateverItsValue() {
        List<String> warnings = Fixtures.warnings("""
                cleanstop=no
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=connect
                \tcleanstop="no"
                virtual=10.0.0.1:8081
                \treal=10.0.0.2:8081 masq
                \tchecktype=connect
                \tcleanstop=yes
                """);
        assertThat(warnings).containsExactly(
                "test.cf:5: warning: cleanstop in a virtual block has no effect in lbd because lbd keeps the"
                        + " direct-routing connections of every service across a restart, or of none: set"
                        + " cleanstop=no globally",
                "test.cf:9: warning: cleanstop in a virtual block has no effect in lbd because lbd keeps the"
                        + " direct-routing connections of every service across a restart, or of none: set"
                        + " cleanstop=no globally");
    }

    @Test
    void aConfigurationOfActedDirectivesHasNoWarning() {
        assertThat(Fixtures.warnings("""
                checkinterval=5
                quiescent=no
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \trequest="/health"
                \treceive="ok"
                """)).isEmpty();
    }
}
