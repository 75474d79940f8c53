package lbd.director.core;

import static lbd.director.TestHttp.freePort;
import static lbd.director.TestHttp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.Transport;
import lbd.config.model.VirtualServiceKey;
import lbd.director.demo.DemoBackends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * From the moment a VIP listens no client fails for want of a health verdict: configured servers are in service
 * until their first check (HAProxy's init-state up), and that first check decides at once — a dead server is
 * taken out by its first failed check even with failurecount=3, and checktype=off never serves.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartupWithoutLossTest {

    @TempDir
    Path dir;

    @Test
    void requestsRightAfterStartAreServedAndTheFirstFailedCheckTakesADeadServerOut() throws IOException {
        try (DemoBackends backends = DemoBackends.start("VM2", "VM3")) {
            int vipPort = freePort();
            int deadPort = freePort();
            // checkinterval=10: a request waiting for a verdict would wait 10 s; failurecount=3 would keep a dead
            // server in for three intervals if the first check were not decisive.
            ClusterConfig config = load("""
                    checktimeout=2
                    checkinterval=10
                    failurecount=3
                    quiescent=no
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.1:%d masq
                    \treal=127.0.0.1:%d masq
                    \treal=127.0.0.1:%d masq
                    \tscheduler=rr
                    \tprotocol=tcp
                    \tchecktype=connect
                    """.formatted(vipPort, backends.port(0), backends.port(1), deadPort));
            Director director = Director.start(config, Transport.NIO, 1);
            try {
                List<String> answers = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    answers.add(get(vipPort)); // the dead server's turns are retried on a live one
                }
                assertThat(answers).allMatch(a -> a.startsWith("This is VM"), "served");

                RealServerKey dead = new RealServerKey(new VirtualServiceKey(Protocol.TCP,
                        Endpoint.of("127.0.0.1", vipPort)), Endpoint.of("127.0.0.1", deadPort));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> !director.onControl(() -> director.state(dead)).up());
            } finally {
                director.close();
            }
        }
    }

    @Test
    void aCheckTypeOffServerIsNeverInServiceNotEvenBeforeAnyCheck() throws IOException {
        try (DemoBackends backends = DemoBackends.start("VM2", "VM3")) {
            int vipPort = freePort();
            ClusterConfig config = load("""
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.1:%d masq
                    \tscheduler=rr
                    \tprotocol=tcp
                    \tchecktype=off
                    """.formatted(vipPort, backends.port(0)));
            Director director = Director.start(config, Transport.NIO, 1);
            try {
                assertThat(get(vipPort)).startsWith("error");
            } finally {
                director.close();
            }
        }
    }

    private ClusterConfig load(String text) throws IOException {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, text);
        return ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
    }
}
