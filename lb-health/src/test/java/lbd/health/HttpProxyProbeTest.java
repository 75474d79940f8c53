package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.ServiceType;

/**
 * service=http_proxy against tinyproxy (Debian's tinyproxy) as the real server, fetching a page of a loopback
 * origin server through it; started once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpProxyProbeTest {

    private static final String TINYPROXY = "/usr/bin/tinyproxy";

    @TempDir
    static Path dir;
    private static ServerDaemon proxy;
    private static TestHttpServer origin;
    private static int proxyPort;

    @BeforeAll
    static void startServers() throws Exception {
        ServerDaemon.assumeInstalled(TINYPROXY, "tinyproxy");
        origin = new TestHttpServer();
        proxyPort = ServerDaemon.freePort();
        Path conf = dir.resolve("tinyproxy.conf");
        Files.writeString(conf, String.join("\n", "User nobody", "Group nogroup", "Port " + proxyPort,
                "Listen 127.0.0.1", "Timeout 10", "Allow 127.0.0.1", "MaxClients 20", "LogLevel Info", ""));
        proxy = ServerDaemon.start("tinyproxy", dir, List.of(TINYPROXY, "-d", "-c", conf.toString()),
                new InetSocketAddress("127.0.0.1", proxyPort));
    }

    @AfterAll
    static void stopServers() {
        if (proxy != null) {
            proxy.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private static TestConfig through(String url, String receive) {
        TestConfig config = TestConfig.negotiate(ServiceType.HTTP_PROXY);
        config.request = Optional.of(url);
        config.receive = Optional.ofNullable(receive);
        config.negotiateTimeout = Duration.ofSeconds(10);
        return config;
    }

    private static ProbeResult check(TestConfig config) throws InterruptedException {
        return HttpProbe.throughProxy(config.spec(proxyPort)).check();
    }

    @Test
    void aPageFetchedThroughTheProxyThatMatchesIsUp() throws Exception {
        origin.answer(200, "found");
        origin.requestLines.clear();
        String url = "http://127.0.0.1:" + origin.port() + "/status.html";
        // ldirectord's parser writes a '/' before the URL; the check takes it off again.
        assertThat(check(through("/" + url, "found"))).isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
        assertThat(origin.requestLines).as("the proxy fetched it from the origin").anyMatch(
                line -> line.startsWith("GET /status.html HTTP/1."));
    }

    @Test
    void theSameCheckOnTheMonitorsLoopIsUpInTheSameWords() throws Exception {
        origin.answer(200, "found");
        TestConfig config = through("http://127.0.0.1:" + origin.port() + "/status.html", "found");
        config.interval = Duration.ofMinutes(1);
        assertThat(HttpProbe.throughProxy(config.spec(proxyPort)).runsOnLoop()).isTrue();
        assertThat(LoopCheck.once(config, config.real(proxyPort)).result())
                .isEqualTo(ProbeResult.up("negotiate: HTTP 200"));
    }

    @Test
    void aPageThatDoesNotMatchReceiveIsDown() throws Exception {
        origin.answer(200, "found");
        assertThat(check(through("http://127.0.0.1:" + origin.port() + "/status.html", "healthy")))
                .isEqualTo(ProbeResult.down("negotiate: receive \"healthy\" not matched (HTTP 200, 5 bytes)"));
    }

    @Test
    void anOriginTheProxyCannotReachIsDownWithTheProxysAnswer() throws Exception {
        int deadOrigin = ServerDaemon.freePort();
        ProbeResult result = check(through("http://127.0.0.1:" + deadOrigin + "/", null));
        assertThat(result.up()).isFalse();
        assertThat(result.detail()).startsWith("negotiate: HTTP 5");
    }

    @Test
    void aDeadProxyIsDown() throws Exception {
        int dead = ServerDaemon.freePort();
        assertThat(HttpProbe.throughProxy(through("http://127.0.0.1:" + origin.port() + "/", null).spec(dead)).check())
                .isEqualTo(ProbeResult.down("negotiate: connection refused"));
    }
}
