package lbd.director.unix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SeqPacketSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void messagesKeepTheirBoundariesAndDescriptorsArriveOpenOnTheSameFile() throws Exception {
        Path path = dir.resolve("hand-over.sock");
        Path file = Files.writeString(dir.resolve("data"), "x");
        try (SeqPacketSocket listener = SeqPacketSocket.listen(path);
             SeqPacketSocket client = SeqPacketSocket.connect(path);
             SeqPacketSocket server = listener.accept(WAIT);
             java.io.FileInputStream opened = new java.io.FileInputStream(file.toFile())) {
            assertThat(Files.getPosixFilePermissions(path)).hasSize(2); // rw-------
            assertThat(server.peerPid()).isEqualTo(ProcessHandle.current().pid());
            int fd = OpenFiles.descriptorOf(file);

            client.send("first");
            client.send("second", fd, fd);
            SeqPacketSocket.Received first = server.receive(WAIT);
            SeqPacketSocket.Received second = server.receive(WAIT);
            assertThat(first.text()).isEqualTo("first");
            assertThat(first.fds()).isEmpty();
            assertThat(second.text()).isEqualTo("second");
            assertThat(second.fds()).hasSize(2).doesNotContain(fd);
            for (int received : second.fds()) {
                assertThat(OpenFiles.target(received)).isEqualTo(file);
            }
            SeqPacketSocket.closeAll(second.fds());

            assertThatThrownBy(() -> server.receive(Duration.ofMillis(100))).isInstanceOf(SocketTimeoutException.class);
            client.close();
            assertThatThrownBy(() -> server.receive(WAIT)).isInstanceOf(EOFException.class);
        }
        assertThat(path).doesNotExist(); // the listener removes its socket file
    }

    @Test
    void aMessageOfTheLargestSizeArrivesWhole() throws Exception {
        Path path = dir.resolve("big.sock");
        byte[] big = new byte[SeqPacketSocket.MAX_MESSAGE];
        new java.util.Random(7).nextBytes(big);
        try (SeqPacketSocket listener = SeqPacketSocket.listen(path);
             SeqPacketSocket client = SeqPacketSocket.connect(path);
             SeqPacketSocket server = listener.accept(WAIT)) {
            client.send(big);
            assertThat(server.receive(WAIT).bytes()).isEqualTo(big);
            assertThatThrownBy(() -> client.send(new byte[SeqPacketSocket.MAX_MESSAGE + 1]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void connectingWhereNothingListensSaysSo() {
        assertThatThrownBy(() -> SeqPacketSocket.connect(dir.resolve("nobody.sock")))
                .hasMessageContaining("cannot connect to " + dir.resolve("nobody.sock"));
    }
}
