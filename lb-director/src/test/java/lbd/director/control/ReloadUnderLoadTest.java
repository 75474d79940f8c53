package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload without dropping anything: 100 reloads — weights, schedulers, a real server removed and added back —
 * while a client keeps making requests on new connections through the VIP. VM2 is in every version and keeps
 * its health verdict across them, so no request may fail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReloadUnderLoadTest {

    @TempDir
    Path dir;

    @Test
    void hundredReloadsWhileRequestsFlowFailNone() throws Exception {
        try (LiveDirector lbd = LiveDirector.start(dir, false)) {
            lbd.awaitBothServing();
            List<String> versions = List.of(
                    lbd.config("rr", 1, true),
                    lbd.config("wrr", 3, true),
                    lbd.config("rr", 2, false),   // VM3 removed: its open connections finish, no new ones
                    lbd.config("wlc", 1, true));  // VM3 back: checked again before it gets traffic
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger requests = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Thread client = Thread.ofPlatform().name("test-client").start(() -> {
                while (running.get()) {
                    String answer = lbd.get();
                    requests.incrementAndGet();
                    if (!answer.startsWith("This is VM")) {
                        failures.add(answer);
                    }
                }
            });
            try {
                for (int i = 0; i < 100; i++) {
                    Files.writeString(lbd.file, versions.get(i % versions.size()));
                    assertThat(reload(lbd)).startsWith("configuration reloaded");
                    Thread.sleep(10);
                }
            } finally {
                running.set(false);
                client.join(10_000);
            }
            assertThat(failures).isEmpty();
            assertThat(requests.get()).isGreaterThan(100);
        }
    }

    private static String reload(LiveDirector lbd) throws Exception {
        ControlReply reply = ControlClient.send(lbd.ops.socket(), new ControlRequest.Reload());
        assertThat(reply.ok()).as(reply.message()).isTrue();
        return reply.body();
    }
}
