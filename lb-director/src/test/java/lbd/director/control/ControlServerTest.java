package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lbd.director.core.DirectorException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

@Timeout(20)
class ControlServerTest {

    @TempDir
    Path dir;
    Path socket;
    FakeHandler handler;
    ControlServer server;

    @BeforeEach
    void start() {
        socket = dir.resolve("run/lbd.sock");
        handler = new FakeHandler();
        server = ControlServer.start(socket, new ControlService(handler, "lbd test"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void socketIsOwnerOnlyInAnOwnerOnlyDirectory() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())))
                .isEqualTo("rwx------");
        // It was bound in an owner-only staging directory and moved into place; nothing of that is left.
        try (var entries = Files.list(socket.getParent())) {
            assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactly("lbd.sock");
        }
        assertThat(ControlClient.send(socket, "ping").ok()).isTrue();
    }

    /** In a directory anyone may enter (as /run/lbd may be), the socket itself is still owner-only. */
    @Test
    void inAnOpenDirectoryTheSocketIsStillOwnerOnly() throws Exception {
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path other = open.resolve("lbd.sock");
        ControlServer second = ControlServer.start(other, new ControlService(new FakeHandler(), "lbd test"));
        try {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(other))).isEqualTo("rw-------");
            assertThat(ControlClient.send(other, "ping").ok()).isTrue();
        } finally {
            second.close();
        }
        assertThat(other).doesNotExist();
    }

    @Test
    void malformedAndUnknownRequestsGetAnErrorAndTheServerKeepsAnswering() throws Exception {
        String[] bad = {"", "frobnicate", "list bogus", "set-weight tcp 127.0.0.1:8080", "set-weight tcp nowhere 1.2.3.4:80 1",
            "set-weight tcp 127.0.0.1:8080 127.0.0.2:80 -4", "set-scheduler tcp 127.0.0.1:8080 nope",
            "set-scheduler tcp 127.0.0.1:8080 MH", "delete-server sctp 127.0.0.1:8080 127.0.0.2:80",
            "\u0000\u0001\u00ff garbage", "list stats rate"};
        for (String line : bad) {
            ControlReply reply = ControlClient.send(socket, line);
            assertThat(reply.ok()).as(line).isFalse();
            assertThat(reply.message()).as(line).isNotBlank().doesNotContain("Exception").doesNotContain("\n");
        }
        assertThat(ControlClient.send(socket, "ping").ok()).isTrue();
    }

    @Test
    void clientBytesInTheReplyAndTheLogAreEscapedAndCut() throws Exception {
        Logger lbd = (Logger) LoggerFactory.getLogger("lbd");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        lbd.addAppender(logged);
        try {
            String forged = "frob\r2026-12-02T00:00:00.000Z\tWARN\u001b[2J\u00e9";
            String request = forged + "x".repeat(3000);
            ControlReply reply = ControlClient.send(socket, request);

            assertThat(reply.message()).isEqualTo("unknown request 'frob\\r2026-12-02T00:00:00.000Z\\tWARN\\u001b[2J\\u00e9"
                    + "x".repeat(60 - forged.length()) + "… (" + (request.length() - 60) + " more characters)'");
            assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage)
                    .contains("control socket: rejected a request: " + reply.message());
        } finally {
            lbd.detachAppender(logged);
        }
    }

    @Test
    void anOversizedRequestIsRefusedAndTheServerKeepsAnswering() throws Exception {
        ControlReply reply = ControlClient.send(socket, "list " + "x".repeat(10_000));
        assertThat(reply.ok()).isFalse();
        assertThat(reply.message()).contains("longer than 4096");
        assertThat(ControlClient.send(socket, "ping").ok()).isTrue();
    }

    @Test
    void aClientThatClosesWithoutANewlineDoesNotHurtTheServer() throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.write(ByteBuffer.wrap("pin".getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(ControlClient.send(socket, "ping").ok()).isTrue();
    }

    @Test
    void editsReachTheHandlerAndItsRefusalsComeBackAsErrors() throws Exception {
        assertThat(ControlClient.send(socket, "set-weight tcp 127.0.0.1:8080 127.0.0.2:80 0").ok()).isTrue();
        assertThat(handler.servers.getFirst().weight()).isZero();

        ControlReply missing = ControlClient.send(socket, "set-weight tcp 127.0.0.1:8080 127.0.0.9:80 2");
        assertThat(missing.ok()).isFalse();
        assertThat(missing.message()).startsWith("No such destination");
    }

    @Test
    void aSecondServerOnTheSamePathIsRefusedAndAStaleFileIsReplaced() throws Exception {
        assertThatThrownBy(() -> ControlServer.start(socket, new ControlService(handler, "x")))
                .isInstanceOf(DirectorException.class).hasMessageContaining("already running");
        server.close();
        Files.createFile(socket); // left behind by a crash
        server = ControlServer.start(socket, new ControlService(handler, "lbd test"));
        assertThat(ControlClient.send(socket, "ping").ok()).isTrue();
    }

    @Test
    void withNoServerTheClientSaysNoLbdIsRunning() {
        server.close();
        assertThatThrownBy(() -> ControlClient.send(socket, "ping"))
                .isInstanceOf(ControlClient.NotRunning.class).hasMessageContaining("no lbd is running");
    }

    /**
     * A thousand clients connecting at the same moment (a deployment script draining servers in parallel). The
     * connects are non-blocking, as a virtual thread's or an event loop's are: when the listen queue is full the
     * kernel refuses such a connect at once (EAGAIN) instead of letting it wait.
     */
    @Test
    void aThousandSimultaneousConnectsAreAllAccepted() throws Exception {
        int clients = 1000;
        List<SocketChannel> connected = new ArrayList<>(clients);
        List<String> refused = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                try {
                    c.connect(UnixDomainSocketAddress.of(socket));
                    connected.add(c);
                } catch (IOException e) {
                    refused.add(e.getMessage());
                    c.close();
                }
            }
            assertThat(refused).as("connects refused of " + clients).isEmpty();

            ConcurrentLinkedQueue<String> unanswered = new ConcurrentLinkedQueue<>();
            try (ExecutorService askers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (SocketChannel c : connected) {
                    askers.execute(() -> {
                        try {
                            String reply = ping(c);
                            if (!reply.startsWith("OK")) {
                                unanswered.add(reply);
                            }
                        } catch (IOException e) {
                            unanswered.add(e.toString());
                        }
                    });
                }
            }
            assertThat(unanswered).isEmpty();
        } finally {
            for (SocketChannel c : connected) {
                c.close();
            }
        }
    }

    private static String ping(SocketChannel c) throws IOException {
        c.configureBlocking(true);
        c.write(ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.UTF_8)));
        ByteBuffer in = ByteBuffer.allocate(64);
        while (c.read(in) >= 0) {
            // until the server closes: one request per connection
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }
}
