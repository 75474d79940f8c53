package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lbd.config.model.SchedulerKind;
import lbd.sys.LinuxNative;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.transport.NettyTransport;
import lbd.dataplane.transport.TransportKind;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@code lbd upgrade} rests on, in one process: a second proxy adopts the first one's listening sockets
 * ({@link NatProxy#listenerDescriptors}, {@link NatProxy#adopt}; here a dup of each descriptor stands for the copy
 * SCM_RIGHTS makes in another process), the first one closes its copies, and the clients that connected while
 * nobody accepted — queued in the sockets' accept queues — are all served by the second. Closing a socket instead
 * (what a new process binding its own SO_REUSEPORT sockets must end with) would have reset every one of them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatAdoptListenerTest {

    private static final int QUEUED = 20;

    /** Each transport that can hand over, with as many event loops as the old proxy, fewer, and more. */
    static Stream<Arguments> transportsAndLoops() {
        return Stream.of(TransportKind.EPOLL, TransportKind.IO_URING)
                .flatMap(kind -> Stream.of(Arguments.of(kind, 2), Arguments.of(kind, 1), Arguments.of(kind, 3)));
    }

    /**
     * With fewer loops than sockets, a loop takes several; with more, the loops left over bind sockets of their own
     * in the same SO_REUSEPORT group.
     */
    @ParameterizedTest(name = "{0}, 2 sockets to {1} loops")
    @MethodSource("transportsAndLoops")
    void clientsQueuedInAHandedOverSocketAreServedByTheProxyThatAdoptedIt(TransportKind kind, int loops)
            throws Exception {
        assumeTrue(NettyTransport.isAvailable(kind), kind + " is not available here");
        try (NatHarness old = new NatHarness(kind, 2).start()) {
            LoopbackServer echo = old.server(LoopbackServer.echo());
            ServiceTable table = old.table(SchedulerKind.RR, echo.endpoint());
            old.publish(table);

            SnapshotPublisher publisher = new SnapshotPublisher();
            publisher.publish(new DataPlaneSnapshot(1, Map.of(table.key(), table)));
            NatProxy next = new NatProxy(new NatSettings(kind.request(), loops, Duration.ofMillis(500)), publisher);
            next.start();
            List<Socket> clients = new ArrayList<>();
            try {
                int[] handed = old.proxy.listenerDescriptors().get(old.vip);
                assertThat(handed).hasSize(2);
                next.adopt(old.vip, old.vip, duplicates(handed));
                old.proxy.stopListening(old.vip); // the old proxy's copies close; the sockets live on

                for (int i = 0; i < QUEUED; i++) { // nobody accepts now: the kernel queues them
                    Socket client = old.connect();
                    client.getOutputStream().write(("client " + i).getBytes(StandardCharsets.US_ASCII));
                    client.shutdownOutput();
                    clients.add(client);
                }
                next.accept(old.vip);
                for (int i = 0; i < QUEUED; i++) {
                    InputStream in = clients.get(i).getInputStream();
                    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("client " + i);
                }
                assertThat(echo.accepted()).isEqualTo(QUEUED);
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
                next.shutdown(Duration.ZERO);
            }
        }
    }

    private static int[] duplicates(int[] fds) {
        int[] copies = new int[fds.length];
        try (Arena call = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoSegment(call);
            for (int i = 0; i < fds.length; i++) {
                copies[i] = LinuxNative.dup(errno, fds[i]);
                assertThat(copies[i]).as("dup").isNotNegative();
            }
        }
        return copies;
    }
}
