package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.dr.packet.ArpFrame;
import lbd.dataplane.dr.sys.BpfFilter;
import lbd.dataplane.dr.sys.PacketSocket;
import lbd.dataplane.dr.sys.PacketSocketPoll;
import lbd.dataplane.dr.xdp.XdpSocket;
import lbd.dataplane.table.DataPlaneSnapshot;
import lbd.dataplane.table.DrDirectory;
import lbd.dataplane.table.SnapshotPublisher;
import lbd.dataplane.worker.WorkerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The DR path's sockets when their interface goes down (an operator's {@code ip link set down}, a cable pulled):
 * <ul>
 *   <li>a receiving packet socket: the kernel leaves an error (ENETDOWN) on it, which must not make an idle worker
 *       spin, nor end it (a socket read with recvmsg gets the error once, as its read's result); it receives again
 *       once the interface is up;</li>
 *   <li>an AF_XDP socket: the kernel takes none of the frames queued to send (sendto fails with ENETDOWN), so they
 *       wait on the transmit ring, counted as not taken and not offered again every millisecond (as frames a full
 *       send buffer refused are), and leave, each once, when the interface is up again; a
 *       worker that lets go of the socket meanwhile (a hold for an upgrade hands the queues to the other process)
 *       counts them as send-failed, as a frame the packet socket could not send is.</li>
 * </ul>
 * A veth pair, its other end in a namespace of this test's own, with IPv6 off so that only these frames cross it.
 * Root only; skips otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DrInterfaceDownTest {

    private static final String NS = "lbt-xdpdown";
    private static final String HERE = "lbtxdn0";
    private static final String THERE = "lbtxdn1";
    private static final Duration QUEUE_FREED = Duration.ofSeconds(2);
    /** More than one sendto's batch in copy mode ({@link XdpSocket#KERNEL_TX_BATCH}). */
    private static final int FRAMES = 40;

    private int index;

    @BeforeAll
    void aVethPair() {
        assumeTrue(Shell.isRoot(), "DrInterfaceDownTest needs root (AF_XDP, namespaces); skipped");
        removeThePair();
        // No IPv6: the kernel's own solicitations would cross the pair with the frames counted below.
        Shell.sh(("ip netns add %1$s && ip link add %2$s type veth peer name %3$s && ip link set %3$s netns %1$s"
                + " && sysctl -qw net.ipv6.conf.%2$s.disable_ipv6=1"
                + " && ip netns exec %1$s sysctl -qw net.ipv6.conf.%3$s.disable_ipv6=1"
                + " && ip -n %1$s addr add 198.18.77.2/24 dev %3$s"
                + " && ip link set %2$s up && ip -n %1$s link set %3$s up").formatted(NS, HERE, THERE))
                .assertOk("the veth pair");
        index = Integer.parseInt(Shell.run(List.of("cat", "/sys/class/net/" + HERE + "/ifindex")).output().strip());
    }

    @AfterAll
    void removeThePair() {
        Shell.deleteNamespaces(NS); // takes the veth pair with it
        Shell.attempt(List.of("ip", "link", "del", HERE)); // a run killed before the move
    }

    @Test
    void framesWaitWhileTheInterfaceIsDownAndLeaveOnceItIsUp() {
        try (Arena arena = Arena.ofConfined();
             XdpSocket sender = XdpSocket.openWhenFree(HERE, index, 0, true, QUEUE_FREED)) {
            link("down");
            try {
                queue(sender, arena);
                sender.transmitQueued();
                assertThat(sender.untakenFrames()).as("frames the interface down did not take").isEqualTo(FRAMES);
                assertThat(sender.transmitPending()).isTrue();
                assertThat(sender.transmitRetryDue()).as("no retry in a moment while the interface is down").isFalse();
            } finally {
                link("up");
            }
            long before = receivedThere();
            sender.transmitQueued();
            assertThat(sender.untakenFrames()).as("taken once the interface is up").isZero();
            assertThat(sender.transmitPending()).isFalse();
            assertThat(sender.transmitRetryDue()).isFalse();
            assertThat(receivedThere() - before).as("frames the other end received").isEqualTo(FRAMES);
        }
    }

    @Test
    void aWorkerLettingGoOfTheSocketCountsWhatItStillHeldAsSendFailed() throws Exception {
        DrStats stats = new DrStats();
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(new DataPlaneSnapshot(1, Map.of(), DataPlaneSnapshot.NO_PREVIOUS, Set.of(),
                DrDirectory.of(List.of(), Set.of(), false)));
        try (Arena arena = Arena.ofConfined();
             PacketSocket receiving = PacketSocket.open(HERE, index, BpfFilter.forVips(new int[0]), -1);
             XdpSocket sender = XdpSocket.openWhenFree(HERE, index, 0, true, QUEUE_FREED)) {
            link("down");
            try {
                queue(sender, arena); // as the worker's last batch would have before the hold
                DrWorker worker = new DrWorker(new PacketSocket[] {receiving}, new XdpSocket[] {sender},
                        new long[] {0x02_00_00_00_00_01L}, new WorkerState(publisher, 0), publisher, stats, 1024,
                        new LocalDelivery(), new InheritedFlows(16));
                Thread thread = Thread.ofPlatform().name("lbt-dr-worker").start(worker);
                try {
                    worker.useXdpSockets(new XdpSocket[1]).get(10, TimeUnit.SECONDS);
                    assertThat(stats.get(DrStats.SEND_FAILED)).as("frames the socket let go of still held")
                            .isEqualTo(FRAMES);
                } finally {
                    worker.stop();
                    thread.join(TimeUnit.SECONDS.toMillis(10));
                }
                assertThat(thread.isAlive()).isFalse();
                assertThat(stats.get(DrStats.SEND_FAILED)).as("counted once, not again as the worker ends")
                        .isEqualTo(FRAMES);
            } finally {
                link("up");
            }
        }
    }

    /**
     * A DR worker's receiving socket (a ring) after its interface went down and came back: the kernel left an error
     * on it (ENETDOWN) when the interface went down. Waiting on it returns at once while that error stays unread, so
     * an idle worker would spin. The wait reads it and then sleeps as before; and frames arrive again.
     */
    @Test
    void aReceivingSocketWaitsQuietlyAgainAfterItsInterfaceWentDownAndUp() {
        try (PacketSocket ring = PacketSocket.open(HERE, index, BpfFilter.forVips(new int[0]), -1, false, 4, 1 << 16);
             PacketSocketPoll poll = new PacketSocketPoll(ring)) {
            assertThat(poll.await(0)).as("nothing to read before").isZero();
            link("down");
            link("up");
            poll.await(0);
            assertThat(poll.await(0)).as("ready after the interface came back, with nothing to read").isZero();

            // A datagram from the other end to an address on the link: its kernel's ARP request reaches the ring.
            Shell.run(List.of("ip", "netns", "exec", NS, "bash", "-c", "echo > /dev/udp/198.18.77.1/9"))
                    .assertOk("a datagram from the other end");
            MemorySegment frame = Arena.ofAuto().allocate(2048);
            int length = 0;
            for (int waits = 0; length == 0 && waits < 30; waits++) {
                poll.await(100);
                length = ring.receive(frame);
            }
            assertThat(length).as("a frame received after the interface came back").isPositive();
        }
    }

    /** ARP requests, each for its own address, on {@code sender}'s transmit ring (not yet sent). */
    private static void queue(XdpSocket sender, Arena arena) {
        MemorySegment frame = arena.allocate(64);
        for (int i = 0; i < FRAMES; i++) {
            int length = ArpFrame.write(frame, ArpFrame.BROADCAST, ArpFrame.REQUEST, 0x02_00_00_00_00_01L,
                    0xc612_0001, 0, 0xc612_0000 + i);
            assertThat(sender.transmit(frame, 0, length)).isTrue();
        }
    }

    private static void link(String state) {
        Shell.run(List.of("ip", "link", "set", HERE, state)).assertOk("ip link set " + HERE + " " + state);
    }

    private static long receivedThere() {
        return Long.parseLong(Shell.inNetns(NS, "cat", "/sys/class/net/" + THERE + "/statistics/rx_packets")
                .assertOk("rx_packets").output().strip());
    }
}
