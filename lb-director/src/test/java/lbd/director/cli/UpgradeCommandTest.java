package lbd.director.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import lbd.director.control.ControlException;
import lbd.director.control.ControlRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lbd upgrade}'s own command line; the hand-over itself is UpgradeUnderLoadTest's. */
class UpgradeCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return UpgradeCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void badUsageExits2WithTheUsage() {
        assertThat(run("--bogus")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: lbd upgrade [--socket PATH] [--drain SECONDS]");
        err.reset();
        assertThat(run("--drain", "-1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("drain must be 0 to 86400 seconds: -1");
        err.reset();
        assertThat(run("--drain=soon")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("drain must be a number of seconds: 'soon'");
    }

    @Test
    void noLbdOnTheSocketExits1AndSaysSo(@TempDir Path dir) {
        Path socket = dir.resolve("lbd.sock");
        assertThat(run("--socket", socket.toString(), "--drain", "5")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("no lbd is running on the control socket " + socket);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void theRequestCarriesTheDrainAndReadsBackTheSame() {
        assertThat(ControlRequest.parse("upgrade")).isEqualTo(new ControlRequest.Upgrade(120));
        assertThat(ControlRequest.parse("upgrade 5").toLine()).isEqualTo("upgrade 5");
        assertThat(ControlRequest.parse(new ControlRequest.Upgrade(0).toLine()))
                .isEqualTo(new ControlRequest.Upgrade(0));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlRequest.parse("upgrade 86401"))
                .isInstanceOf(ControlException.class);
    }
}
