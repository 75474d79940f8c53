package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What HostInterface reads of /sys/class/net that the data path needs beyond the index and MAC. */
class HostInterfaceTest {

    @TempDir
    Path dir;

    @Test
    void receiveAndTransmitQueuesAreCountedApart() throws Exception {
        Path queues = dir.resolve("queues");
        for (String q : new String[] {"rx-0", "rx-1", "tx-0", "tx-1", "tx-2", "tx-3"}) {
            Files.createDirectories(queues.resolve(q));
        }
        assertThat(HostInterface.receiveQueues(queues)).as("a NIC with more transmit queues than receive").isEqualTo(2);
        assertThat(HostInterface.transmitQueues(queues)).isEqualTo(4);
        assertThat(HostInterface.receiveQueues(dir.resolve("absent"))).as("not known").isZero();
        assertThat(HostInterface.transmitQueues(dir.resolve("absent"))).as("not known").isZero();
    }
}
