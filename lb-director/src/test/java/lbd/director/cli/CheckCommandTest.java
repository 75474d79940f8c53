package lbd.director.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lbd --check}: exit codes and what the operator reads, for the seeds and for a broken file. */
class CheckCommandTest {

    private static final Path SEEDS = Path.of("../lb-config/src/test/resources/lbd/config");

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int check(Path file) {
        return CheckCommand.run(file, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void secondSeedChecksOkWithAnIpvsadmLikeSummary() {
        assertThat(check(SEEDS.resolve("seed2-centos6-heartbeat.cf"))).isZero();
        assertThat(out.toString()).contains("TCP  10.8.8.45:80 wlc")
                .contains("  -> 10.8.8.49:80                 Route   1")
                .contains("configuration OK");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void firstSeedChecksOk() {
        assertThat(check(SEEDS.resolve("seed1-centos5-dr.cf"))).isZero();
        assertThat(out.toString()).contains("TCP  10.10.10.60:80 wrr");
    }

    @Test
    void brokenFileListsEveryErrorWithFileAndLineAndExitsOne() throws Exception {
        Path bad = dir.resolve("bad.cf");
        Files.writeString(bad, """
                checkinterval=5
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate 1x
                \tschedular=rr
                """);
        assertThat(check(bad)).isEqualTo(1);
        String text = err.toString();
        assertThat(text).contains(bad + ":3: real: ").contains("weight")
                .contains(bad + ":4: unknown directive \"schedular\"; did you mean \"scheduler\"?")
                .contains("2 errors; nothing was started")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aMegabyteBadValueIsCutInItsErrorLine() throws Exception {
        Path bad = dir.resolve("huge.cf");
        Files.writeString(bad, "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n\tscheduler=" + "w".repeat(1 << 20) + "\n");
        assertThat(check(bad)).isEqualTo(1);
        assertThat(err.toString().lines()).containsExactly(
                bad + ":3: scheduler: unknown scheduler \"" + "w".repeat(60) + "…\" (1048516 more characters);"
                        + " lbd schedules with rr, wrr, lc, wlc, sed, nq, fo, ovf, sh, mh, dh, twos, lblc or lblcr",
                bad + ": 1 error; nothing was started");
    }

    @Test
    void missingFileIsOneClearLine() {
        assertThat(check(dir.resolve("absent.cf"))).isEqualTo(1);
        assertThat(err.toString()).contains("absent.cf: no such file");
    }

    @Test
    void aDirectiveWithoutEffectIsAWarningOnItsLineAndTheCheckStillPasses() throws Exception {
        Path cf = dir.resolve("fork.cf");
        Files.writeString(cf, """
                fork=yes
                virtual=127.0.0.1:8080
                \treal=127.0.0.2:8080 masq
                \tchecktype=connect
                """);
        assertThat(check(cf)).isZero();
        assertThat(err.toString().lines()).containsExactly(cf + ":1: warning: fork has no effect in lbd because lbd"
                + " checks every real server concurrently, each on its own checkinterval, without forking (as"
                + " ldirectord does with fork=yes)");
        assertThat(out.toString()).contains("configuration OK");
    }

    @Test
    void aCheckDirectiveTheServicesCheckDoesNotReadIsAWarningOnItsLine() throws Exception {
        Path cf = dir.resolve("nntp.cf");
        Files.writeString(cf, """
                virtual=127.0.0.1:119
                \treal=127.0.0.2:119 masq
                \tservice=nntp
                \treceive="200"
                """);
        assertThat(check(cf)).isZero();
        assertThat(err.toString().lines()).containsExactly(cf + ":4: warning: receive has no effect because the check"
                + " of service=nntp does not read it (of the check directives it reads only checkport, as ldirectord's)");
        assertThat(out.toString()).contains("configuration OK");
    }
}
