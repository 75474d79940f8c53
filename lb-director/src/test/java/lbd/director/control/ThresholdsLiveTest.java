package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection thresholds through the NAT proxy, as an operator sets them with lbadm -e -x -y: a real server holding
 * its upper threshold of connections gets no new one (the upper-th was still taken), stays out while its count
 * is not below the lower threshold, and takes clients again once it is.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThresholdsLiveTest {

    private static final Pattern ROW = Pattern.compile(
            "  -> 127\\.0\\.0\\.1:(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*");

    @TempDir
    Path dir;

    @Test
    void aServerAtItsUpperThresholdGetsNoNewConnectionsAndReturnsBelowItsLower() throws Exception {
        try (LiveDirector live = LiveDirector.start(dir, false)) {
            live.awaitBothServing();
            int vm2 = live.backends.port(0);
            String service = "tcp 127.0.0.1:" + live.vipPort;
            ControlReply edit = ControlClient.send(socket(), "set-weight " + service + " 127.0.0.1:" + vm2
                    + " 1 thresholds 3 2");
            assertThat(edit.ok()).as(edit.message()).isTrue();
            assertThat(row(live, vm2)).as("Uthreshold, Lthreshold").startsWith(new int[] {3, 2});

            List<HeldConnection> onVm2 = new ArrayList<>();
            List<HeldConnection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 12 && onVm2.size() < 3; i++) {
                    HeldConnection c = HeldConnection.open(live.vipPort);
                    held.add(c);
                    if (c.server.equals("This is VM2")) {
                        onVm2.add(c);
                    }
                }
                assertThat(onVm2).as("VM2 took connections up to its upper threshold").hasSize(3);
                awaitConnections(live, vm2, 3);
                assertNoNewClientGoesTo(live, "This is VM2", "at the upper threshold (3 of 3)");

                onVm2.removeFirst().close();
                awaitConnections(live, vm2, 2);
                assertNoNewClientGoesTo(live, "This is VM2", "2 connections are not below the lower threshold 2");

                onVm2.removeFirst().close();
                awaitConnections(live, vm2, 1);
                boolean back = false;
                for (int i = 0; i < 10 && !back; i++) {
                    back = live.get().equals("This is VM2");
                }
                assertThat(back).as("VM2 below its lower threshold takes clients again").isTrue();
            } finally {
                for (HeldConnection c : held) {
                    c.close();
                }
            }
        }
    }

    private Path socket() {
        return dir.resolve("lbd.sock");
    }

    /** rr alternates: eight new clients would give VM2 four; it must get none. */
    private static void assertNoNewClientGoesTo(LiveDirector live, String server, String why) {
        for (int i = 0; i < 8; i++) {
            assertThat(live.get()).as("new client %d: %s", i, why).isEqualTo("This is VM3");
        }
    }

    /** Waits until lbadm -Ln --thresholds shows {@code total} connections (active + inactive) on the server. */
    private void awaitConnections(LiveDirector live, int port, int total) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int[] r = row(live, port);
        while (r[2] + r[3] != total && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = row(live, port);
        }
        assertThat(r[2] + r[3]).as("connections on 127.0.0.1:%d", port).isEqualTo(total);
    }

    /** The server's row of {@code lbadm -Ln --thresholds}: Uthreshold, Lthreshold, ActiveConn, InActConn. */
    private int[] row(LiveDirector live, int port) throws IOException {
        ControlReply listing = ControlClient.send(socket(), "list numeric thresholds");
        assertThat(listing.ok()).as(listing.message()).isTrue();
        for (String line : listing.body().lines().toList()) {
            Matcher m = ROW.matcher(line);
            if (m.matches() && Integer.parseInt(m.group(1)) == port) {
                return new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                        Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5))};
            }
        }
        throw new AssertionError("no row for port " + port + " in\n" + listing.body());
    }

    /** A client connection that got its answer over HTTP/1.1 and stays open (keep-alive). */
    private static final class HeldConnection implements AutoCloseable {
        final Socket socket;
        final String server;

        private HeldConnection(Socket socket, String server) {
            this.socket = socket;
            this.server = server;
        }

        static HeldConnection open(int vipPort) throws IOException {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", vipPort), 2_000);
                s.setSoTimeout(5_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: vip\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                Pattern answered = Pattern.compile("(?s).*\r\n\r\n(This is VM\\d)\n");
                byte[] buf = new byte[512];
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("closed before the answer: " + got);
                    }
                    got.write(buf, 0, n);
                    Matcher m = answered.matcher(got.toString(StandardCharsets.ISO_8859_1));
                    if (m.matches()) {
                        return new HeldConnection(s, m.group(1));
                    }
                }
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
