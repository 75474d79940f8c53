package lbd.director.nat;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.RealServer;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import lbd.director.core.Director;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * proxyprotocol= with a real nginx on loopback ({@code listen ... proxy_protocol}, logging
 * {@code $proxy_protocol_addr}): a client bound to 127.0.0.5 appears as 127.0.0.5 in nginx's log — v1 and v2, IPv4
 * and IPv6 ([::1]) — and the health checks (http negotiate and connect) send the header too, so that every real
 * server stays up and nginx logs no broken header.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProxyProtocolNginxTest {

    @TempDir
    static Path dir;

    private static Nginx nginx;
    private static Director director;
    private static ClusterConfig config;
    private static final int[] VIP = new int[4];

    @BeforeAll
    static void start() throws Exception {
        Nginx.assumeInstalled();
        int port4 = freePort();
        int port6 = freePort();
        nginx = Nginx.start(dir.resolve("nginx"), null, """
                server {
                    listen 127.0.0.21:%d proxy_protocol;
                    listen [::1]:%d proxy_protocol;
                    access_log %s client;
                    location / { return 200 "nginx\\n"; }
                }
                """.formatted(port4, port6, dir.resolve("nginx/access.log")));
        for (int i = 0; i < VIP.length; i++) {
            VIP[i] = freePort();
        }
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, """
                checktimeout=2
                checkinterval=1
                quiescent=no

                virtual=127.0.0.1:%1$d
                \treal=127.0.0.21:%5$d masq
                \tservice=http
                \trequest="/check-v2"
                \treceive="nginx"
                \tproxyprotocol=v2
                virtual=127.0.0.1:%2$d
                \treal=127.0.0.21:%5$d masq
                \tchecktype=connect
                \tproxyprotocol=v1
                virtual6=[::1]:%3$d
                \treal6=[::1]:%6$d masq
                \tchecktype=connect
                \tproxyprotocol=v2
                virtual6=[::1]:%4$d
                \treal6=[::1]:%6$d masq
                \tservice=http
                \trequest="/check-v1"
                \treceive="nginx"
                \tproxyprotocol=v1
                """.formatted(VIP[0], VIP[1], VIP[2], VIP[3], port4, port6));
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result).as("%s", result).isInstanceOf(ConfigResult.Loaded.class);
        config = ((ConfigResult.Loaded) result).config();
        director = Director.start(config, Transport.AUTO, 1);
    }

    @AfterAll
    static void stop() {
        if (director != null) {
            director.close();
        }
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void nginxLogsTheClientsOwnAddressV1AndV2IPv4AndIPv6AndTheChecksKeepEveryServerUp() throws Exception {
        assertThat(get("127.0.0.5", "127.0.0.1", VIP[0], "/v2-ipv4")).isEqualTo("nginx");
        assertThat(get("127.0.0.5", "127.0.0.1", VIP[1], "/v1-ipv4")).isEqualTo("nginx");
        assertThat(get("::1", "::1", VIP[2], "/v2-ipv6")).isEqualTo("nginx");
        assertThat(get("::1", "::1", VIP[3], "/v1-ipv6")).isEqualTo("nginx");
        // $proxy_protocol_addr, then $remote_addr (lbd's own address towards nginx), then the URI.
        assertThat(nginx.accessLines()).contains("127.0.0.5 127.0.0.1 /v2-ipv4", "127.0.0.5 127.0.0.1 /v1-ipv4",
                "::1 ::1 /v2-ipv6", "::1 ::1 /v1-ipv6");

        // Three checks of each http service answered (the LOCAL header: no proxy_protocol_addr), and the connect
        // checks too; then every real server is still up and nginx never saw a connection without a header.
        awaitLines(line -> line.endsWith(" 127.0.0.1 /check-v2"), 3);
        awaitLines(line -> line.endsWith(" ::1 /check-v1"), 3);
        assertThat(nginx.accessLines()).filteredOn(line -> line.contains("/check-"))
                .allSatisfy(line -> assertThat(line).startsWith("- "));
        for (VirtualService vs : director.config().virtualServices()) {
            for (RealServer real : vs.realServers()) {
                assertThat(director.state(real.key()).up()).as("%s: %s", real.key(), director.state(real.key()))
                        .isTrue();
                assertThat(director.state(real.key()).reason()).as("%s", real.key()).isNotEqualTo("not checked yet");
            }
        }
        String errors = Files.exists(nginx.errorLog) ? Files.readString(nginx.errorLog) : "";
        assertThat(errors).doesNotContain("broken header");
        assertThat(get("127.0.0.5", "127.0.0.1", VIP[0], "/after-checks")).isEqualTo("nginx");
    }

    private static void awaitLines(java.util.function.Predicate<String> matching, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (nginx.accessLines().stream().filter(matching).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nginx did not log " + count + " checks within 30 s: " + nginx.accessLines());
            }
            Thread.sleep(100);
        }
    }

    /** One HTTP/1.0 GET from {@code source} to {@code host:port}; the body. */
    private static String get(String source, String host, int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(source, 0));
            s.connect(new InetSocketAddress(host, port), 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: vip\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int body = response.indexOf("\r\n\r\n");
            return body < 0 ? "no HTTP response: " + response : response.substring(body + 4).strip();
        }
    }
}
