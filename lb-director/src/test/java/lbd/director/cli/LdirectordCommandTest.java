package lbd.director.cli;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import lbd.director.TestHttp;
import lbd.director.demo.DemoBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ldirectord's command line as heartbeat drives it through {@code /etc/ha.d/resource.d/ldirectord CONFIG
 * start|stop|status}: a temporary directory stands in for /etc/ha.d and another for /run/lbd (LBD_HA_DIR,
 * LBD_RUN_DIR), and {@code start} really detaches an lbd that serves a loopback VIP.
 */
class LdirectordCommandTest {

    private static DemoBackends backends;

    @TempDir
    Path tmp;

    private Path haDir;
    private Path runDir;
    private StringWriter out;
    private StringWriter err;

    @BeforeAll
    static void startBackend() throws Exception {
        backends = DemoBackends.start("web1");
    }

    @AfterAll
    static void stopBackend() {
        backends.close();
    }

    @BeforeEach
    void dirs() throws Exception {
        haDir = Files.createDirectories(tmp.resolve("ha.d"));
        runDir = tmp.resolve("run");
    }

    @AfterEach
    void stopAnyLeftOver() throws Exception {
        // Whatever an assertion left running is stopped by pid, never by name.
        try (var files = Files.exists(runDir) ? Files.list(runDir) : java.util.stream.Stream.<Path>empty()) {
            for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
                OptionalLong pid = new PidFile(f).running();
                if (pid.isPresent()) {
                    ProcessHandle.of(pid.getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    private int lbd(String... words) throws InterruptedException {
        out = new StringWriter();
        err = new StringWriter();
        // --warmup=no passed on to the lbd that start spawns: these tests are about the ldirectord actions.
        return new LdirectordCommand(new LdirectordCommand.Paths(haDir, runDir),
                new RunOptions(null, 1, null, false, false), new PrintWriter(out, true), new PrintWriter(err, true))
                .run(List.of(words), false);
    }

    private Path writeConfig(Path file, int vip, String extra) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, extra + """
                logfile="%s"
                controlsocket=%s
                virtual=127.0.0.1:%d
                \treal=127.0.0.1:%d masq
                \tchecktype=connect
                \tcheckinterval=1
                """.formatted(tmp.resolve("lbd.log"), tmp.resolve("lbd-" + vip + ".sock"), vip, backends.port(0)));
        return file;
    }

    @Test
    void heartbeatStartsChecksAndStopsOneLbdPerConfiguration() throws Exception {
        int vip = freePort();
        Path config = writeConfig(haDir.resolve("ldirectord.cf"), vip, "");
        Path pidFile = runDir.resolve("ldirectord.cf.pid");

        assertThat(lbd("ldirectord.cf", "start")).as("start: %s", err).isZero();
        OptionalLong pid = new PidFile(pidFile).running();
        assertThat(pid).as("the pid file names a running lbd").isPresent();
        assertThat(pid.getAsLong()).isNotEqualTo(ProcessHandle.current().pid()); // detached: another process
        assertThat(TestHttp.get(vip)).isEqualTo("This is web1");

        assertThat(lbd("ldirectord.cf", "status")).isZero();
        assertThat(err.toString()).isEqualTo("lbd for " + config + " is running with pid: " + pid.getAsLong() + "\n");

        assertThat(lbd("ldirectord.cf", "reload")).as("reload: %s", err).isZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(tmp.resolve("lbd.log"))
                .contains("reloading " + config + " (SIGHUP)"));

        assertThat(lbd("ldirectord.cf", "start")).as("a second start finds it running").isZero();
        assertThat(new PidFile(pidFile).running()).isEqualTo(pid);

        assertThat(lbd("ldirectord.cf", "stop")).isZero();
        assertThat(ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive)).as("gone when stop returns")
                .isNotEqualTo(java.util.Optional.of(true));
        assertThat(pidFile).doesNotExist();
        assertThat(TestHttp.get(vip)).isEqualTo(TestHttp.REFUSED);

        assertThat(lbd("ldirectord.cf", "status")).isEqualTo(3);
        assertThat(out.toString()).isEqualTo("lbd is stopped for " + config + "\n");
        assertThat(lbd("ldirectord.cf", "stop")).as("stop when stopped").isZero();
    }

    @Test
    void configNamesAreLookedUpInHaDirThenItsConfThenAsGiven() throws Exception {
        Path inConf = writeConfig(haDir.resolve("conf/farm.cf"), freePort(), "");
        LdirectordCommand command = new LdirectordCommand(new LdirectordCommand.Paths(haDir, runDir),
                new RunOptions(null, 1), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertThat(command.resolve("farm.cf")).isEqualTo(inConf);
        Path inHa = writeConfig(haDir.resolve("farm.cf"), freePort(), "");
        assertThat(command.resolve("farm.cf")).isEqualTo(inHa);
        assertThat(command.resolve(inConf.toString())).isEqualTo(inConf); // an absolute path is itself

        assertThat(lbd("absent.cf", "status")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("Config file absent.cf not found\n");
        // Without CONFIG: ldirectord.cf, and the pid file is named "ldirectord".
        writeConfig(haDir.resolve("ldirectord.cf"), freePort(), "");
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("ldirectord.pid"), "999999999\n");
        assertThat(lbd("status")).as("stale pid file").isEqualTo(1);
        assertThat(err.toString()).isEqualTo("lbd stale pid file " + runDir.resolve("ldirectord.pid") + " for "
                + haDir.resolve("ldirectord.cf") + "\n");
        assertThat(out.toString()).isEqualTo("lbd is stopped for " + haDir.resolve("ldirectord.cf") + "\n");
    }

    @Test
    void actionsOnAStoppedLbdAnswerAsLdirectords() throws Exception {
        Path config = writeConfig(haDir.resolve("ldirectord.cf"), freePort(), "");
        assertThat(lbd("ldirectord.cf", "reload")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("lbd is stopped for " + config + "\n");
        assertThat(lbd("ldirectord.cf", "force-reload")).isEqualTo(1);
        assertThat(lbd("ldirectord.cf", "try-restart")).isZero();
        assertThat(runDir.resolve("ldirectord.cf.pid")).doesNotExist();
        assertThat(lbd("ldirectord.cf", "bogus")).isEqualTo(2);
        assertThat(err.toString()).startsWith("usage: lbd [-d] [CONFIG] start|stop|");
    }

    @Test
    void aConfigurationErrorIsExitTwoWithItsLineAndNothingStarts() throws Exception {
        Path config = haDir.resolve("broken.cf");
        Files.writeString(config, "virtual=127.0.0.1:80\n\treal=127.0.0.2:80 masq\n\tschedular=rr\n");
        assertThat(lbd("broken.cf", "start")).isEqualTo(2);
        assertThat(err.toString()).contains(config + ":3: unknown directive \"schedular\"")
                .contains("1 error; Configuration Error");
        assertThat(runDir.resolve("broken.cf.pid")).doesNotExist();
    }

    @Test
    void aStartThatFailsAfterDetachingReportsWhyAndExitsOne() throws Exception {
        Path config = writeConfig(haDir.resolve("nolog.cf"), freePort(), "");
        // The file loads, but the detached lbd cannot open its log: it gives up, and start says why.
        Files.writeString(config, Files.readString(config).replace("logfile=\"" + tmp.resolve("lbd.log") + "\"",
                "logfile=\"" + tmp.resolve("absent-dir/lbd.log") + "\""));
        assertThat(lbd("nolog.cf", "start")).isEqualTo(1);
        assertThat(err.toString()).startsWith("lbd could not start for " + config + ":")
                .contains("the directory " + tmp.resolve("absent-dir") + " does not exist");
        assertThat(lbd("nolog.cf", "status")).isEqualTo(3);
    }
}
