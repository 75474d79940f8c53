package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lbd.config.model.CheckCredentials;
import lbd.config.model.Protocol;
import lbd.config.model.ServiceType;

/**
 * service=sip against Kamailio (Debian's kamailio), started once on a UDP and a TCP loopback port with a routing
 * script written here: OPTIONS for {@code sip:probe@...} gets 200 OK, for any other user 404 Not Found. The
 * answer comes back to the address and port the request's Via names, so a pass also proves that ldirectord's Via
 * carries the probe socket's own address. (Debian has no sipp.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SipProbeTest {

    private static final String KAMAILIO = "/usr/sbin/kamailio";

    @TempDir
    static Path dir;
    private static ServerDaemon server;
    private static int udpPort;
    private static int tcpPort;

    @BeforeAll
    static void startServer() throws Exception {
        ServerDaemon.assumeInstalled(KAMAILIO, "kamailio");
        udpPort = ServerDaemon.freeUdpPort();
        tcpPort = ServerDaemon.freePort();
        Path script = dir.resolve("kamailio.cfg");
        Files.writeString(script, """
                #!KAMAILIO
                debug=2
                log_stderror=yes
                children=1
                tcp_children=1
                auto_aliases=no
                listen=udp:127.0.0.1:%d
                listen=tcp:127.0.0.1:%d
                loadmodule "sl.so"
                request_route {
                	if (method == "OPTIONS") {
                		if (uri =~ "^sip:probe@") {
                			sl_send_reply("200", "OK");
                		} else {
                			sl_send_reply("404", "Not Found");
                		}
                		exit;
                	}
                	sl_send_reply("501", "Not Implemented");
                }
                """.formatted(udpPort, tcpPort));
        // -DD: in the foreground; -E: log to stderr (the daemon's log file); small memory pools, all under dir.
        server = ServerDaemon.start("kamailio", dir, List.of(KAMAILIO, "-DD", "-E", "-f", script.toString(),
                "-P", dir.resolve("kamailio.pid").toString(), "-Y", dir.toString(), "-w", dir.toString(),
                "-m", "32", "-M", "8"), new InetSocketAddress("127.0.0.1", tcpPort));
        server.awaitUdpBound(udpPort);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static TestConfig sip(Protocol protocol, String login) {
        TestConfig c = TestConfig.negotiate(ServiceType.SIP);
        c.protocol = protocol;
        c.credentials = new CheckCredentials(Optional.of(login), Optional.empty(), Optional.empty());
        return c;
    }

    private static ProbeResult check(Protocol protocol, String login, int port) throws InterruptedException {
        return new SipProbe(sip(protocol, login).spec(port)).check();
    }

    @Test
    void optionsOverUdpAnswered200OkIsUp() throws Exception {
        assertThat(check(Protocol.UDP, "probe@127.0.0.1", udpPort))
                .isEqualTo(ProbeResult.up("negotiate: SIP/2.0 200 OK"));
    }

    @Test
    void optionsOverTcpForATcpServiceAnswered200OkIsUp() throws Exception {
        assertThat(check(Protocol.TCP, "probe@127.0.0.1", tcpPort))
                .isEqualTo(ProbeResult.up("negotiate: SIP/2.0 200 OK"));
    }

    @Test
    void anyOtherStatusIsDownWithTheStatusLine() throws Exception {
        assertThat(check(Protocol.UDP, "nobody@127.0.0.1", udpPort))
                .isEqualTo(ProbeResult.down("negotiate: SIP/2.0 404 Not Found"));
    }

    @Test
    void receiveIsNotUsedAsInLdirectord() throws Exception {
        TestConfig c = sip(Protocol.UDP, "probe@127.0.0.1");
        c.receive = Optional.of("nothing the server says");
        assertThat(new SipProbe(c.spec(udpPort)).check()).isEqualTo(ProbeResult.up("negotiate: SIP/2.0 200 OK"));
    }

    @Test
    void aDeadServerIsDown() throws Exception {
        assertThat(check(Protocol.UDP, "probe@127.0.0.1", ServerDaemon.freeUdpPort()))
                .isEqualTo(ProbeResult.down("negotiate: port unreachable (nothing listens on the UDP port)"));
        assertThat(check(Protocol.TCP, "probe@127.0.0.1", ServerDaemon.freePort()))
                .isEqualTo(ProbeResult.down("negotiate: connection refused"));
    }

    @Test
    void theRequestIsLdirectordsWithTheSocketsOwnAddressInVia() {
        String request = new SipProbe(sip(Protocol.UDP, "probe@lbd").spec(udpPort))
                .request(new InetSocketAddress("127.0.0.1", 40000));
        assertThat(request).startsWith("OPTIONS sip:probe@lbd SIP/2.0\r\n"
                        + "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKhjhs8ass877\r\nMax-Forwards: 70\r\n"
                        + "To: <sip:probe@lbd>\r\nFrom: <sip:probe@lbd>;tag=1928301774\r\nCall-ID: ")
                .matches("(?s).*\r\nCall-ID: [0-9a-f]{16}\r\n.*")
                .endsWith("\r\nCSeq: 63104 OPTIONS\r\nContact: <sip:probe@lbd>\r\nAccept: application/sdp\r\n"
                        + "Content-Length: 0\r\n\r\n");
    }
}
