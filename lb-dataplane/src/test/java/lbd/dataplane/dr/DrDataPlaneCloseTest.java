package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.table.SnapshotPublisher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Closing the DR data path while a worker is held up (here: its thread runs a listing's slow dependent action):
 * the close returns after its wait, but the worker's packet socket, its receive ring with it, stays open while the
 * worker still runs, and is closed when the worker ends — which it does normally, without touching a ring unmapped
 * under it. On the loopback interface, which no frame for a VIP reaches; the packet sockets are read from the
 * kernel's own list ({@code /proc/net/packet}) against this process's descriptors. Root only; skips otherwise.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DrDataPlaneCloseTest {

    private static final int LOOPBACK = 1;

    @Test
    void aWorkerHeldUpPastTheCloseKeepsItsSocketUntilItEnds() throws Exception {
        assumeTrue(Shell.isRoot(), "DrDataPlaneCloseTest needs root (AF_PACKET); skipped");
        Set<Long> before = packetSockets();
        List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        DrDataPlane plane = DrDataPlane.start(new DrInterface("lo", LOOPBACK, 0),
                DrOptions.defaults().withWorkers(1), new SnapshotPublisher(), List.of());
        CountDownLatch letGo = new CountDownLatch(1);
        try {
            Set<Long> opened = packetSockets();
            opened.removeAll(before);
            assertThat(opened).as("the worker's packet socket").hasSize(1);
            CompletableFuture<Thread> workerThread = new CompletableFuture<>();
            CompletableFuture<ConnectionEntries> answer = new CompletableFuture<>();
            answer.thenRun(() -> { // on the worker's own thread, between two batches
                workerThread.complete(Thread.currentThread());
                awaitQuietly(letGo);
            });
            plane.workers().getFirst().listConnections(10, answer);
            Thread worker = workerThread.get(10, TimeUnit.SECONDS);
            assertThat(worker.getName()).isEqualTo("lbd-dr-0");

            plane.close(); // returns after its wait for the workers
            assertThat(worker.isAlive()).isTrue();
            assertThat(packetSockets()).as("the held-up worker's socket stays open").containsAll(opened);

            letGo.countDown();
            worker.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(worker.isAlive()).as("the worker ended once let go").isFalse();
            assertThat(uncaught).as("nothing thrown in the worker's thread").isEmpty();
            assertThat(packetSockets()).as("the last worker to end closed the socket")
                    .doesNotContainAnyElementsOf(opened);
        } finally {
            letGo.countDown();
            plane.close();
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The inodes of this process's open packet sockets. */
    private static Set<Long> packetSockets() throws IOException {
        Set<Long> packet = new HashSet<>();
        List<String> lines = Files.readAllLines(Path.of("/proc/net/packet"));
        String[] heading = lines.getFirst().trim().split("\\s+");
        int inodeColumn = List.of(heading).indexOf("Inode");
        for (String line : lines.subList(1, lines.size())) {
            packet.add(Long.parseLong(line.trim().split("\\s+")[inodeColumn]));
        }
        Set<Long> mine = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        long inode = Long.parseLong(target.substring(8, target.length() - 1));
                        if (packet.contains(inode)) {
                            mine.add(inode);
                        }
                    }
                } catch (IOException e) {
                    // closed while listed (the listing's own descriptor among them)
                }
            });
        }
        return mine;
    }
}
