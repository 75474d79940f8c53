package lbd.director.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.director.logging.LogSetup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** lbd -d / --debug, as ldirectord's: debug level on stderr, whatever logfile= and loglevel= say. */
class DebugOptionTest {

    @TempDir
    Path dir;

    @AfterEach
    void backToStderr() {
        LogSetup.configure(Optional.empty());
    }

    private ClusterConfig config(String globals) throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, globals + "virtual=198.18.0.1:80\n\treal=198.18.0.2:80 masq\n");
        return ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
    }

    private static Level rootLevel() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel();
    }

    @Test
    void debugLogsOnStderrAtDebugLevelWhateverTheFileSays() throws Exception {
        ClusterConfig config = config("logfile=\"" + dir.resolve("lbd.log") + "\"\nloglevel=warn\n");

        LogSetup withDebug = RunCommand.configureLogs(config, new RunOptions(null, null, null, true));
        assertThat(withDebug.description()).isEqualTo("stderr");
        assertThat(rootLevel()).isEqualTo(Level.DEBUG);

        LogSetup without = RunCommand.configureLogs(config, new RunOptions(null, null, null, false));
        assertThat(without.description()).isEqualTo(dir.resolve("lbd.log").toString());
        assertThat(rootLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void debugKeepsTheJsonFormat() throws Exception {
        ClusterConfig config = config("logformat=json\n");
        assertThat(RunCommand.configureLogs(config, new RunOptions(null, null, null, true)).description())
                .isEqualTo("stderr (json)");
    }

    @Test
    void debugGoesWithConfigOrAnLdirectordActionOnly() {
        // -d with --check: a usage error (2), before any file is read
        assertThat(new CommandLine(new LbdMain()).execute("--debug", "--check", dir.resolve("x.cf").toString()))
                .isEqualTo(2);
        assertThat(new CommandLine(new LbdMain()).execute("-d", "--demo")).isEqualTo(2);
    }

    /** loglevel= takes effect at the reload that changes it; with -d, debug stays. */
    @Test
    void aReloadAppliesLogLevelAtOnceUnlessDebugWasAsked() throws Exception {
        int vip = lbd.director.TestHttp.freePort();
        Path file = dir.resolve("reloaded.cf");
        String service = "virtual=127.0.0.1:" + vip + "\n\treal=127.0.0.1:9 masq\n\tchecktype=on\n";
        Files.writeString(file, "loglevel=info\ncontrolsocket=" + dir.resolve("lbd.sock") + "\n" + service);
        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
        for (boolean debug : new boolean[] {false, true}) {
            RunOptions options = new RunOptions(lbd.config.model.Transport.NIO, 1, null, debug);
            RunCommand.configureLogs(config, options);
            try (lbd.director.core.Director director = RunCommand.startDirector(config, options);
                 lbd.director.control.DirectorOps ops = RunCommand.startOps(director, file, config, options)) {
                Files.writeString(file, "loglevel=warn\ncontrolsocket=" + dir.resolve("lbd.sock") + "\n" + service);
                assertThat(lbd.director.control.ControlClient.send(ops.socket(), "reload").ok()).isTrue();
                assertThat(rootLevel()).isEqualTo(debug ? Level.DEBUG : Level.WARN);
            }
            Files.writeString(file, "loglevel=info\ncontrolsocket=" + dir.resolve("lbd.sock") + "\n" + service);
        }
    }
}
