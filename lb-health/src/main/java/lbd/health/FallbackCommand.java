package lbd.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import lbd.config.model.VirtualService;

/**
 * fallbackcommand: run with {@code start} when a service's fallback is activated and {@code stop} when it is
 * withdrawn, then {@code VIP:port} and the protocol ({@code tcp}/{@code udp}), as ldirectord does. Runs off the
 * monitor's event thread, one command at a time per service so that start and stop arrive in order.
 */
final class FallbackCommand {

    private static final Logger LOG = LoggerFactory.getLogger(FallbackCommand.class);
    /** The man page sets no bound; a script that takes longer than this is stuck, not slow. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Executor executor;
    private CompletableFuture<Void> last = CompletableFuture.completedFuture(null); // event thread only

    FallbackCommand(Executor executor) {
        this.executor = executor;
    }

    void run(VirtualService service, boolean activated) {
        if (service.fallbackCommand().isEmpty() || service.fallbackCommand().get().isBlank()) {
            return;
        }
        List<String> argv = new ArrayList<>(Arrays.asList(service.fallbackCommand().get().strip().split("\\s+")));
        argv.add(activated ? "start" : "stop");
        argv.add(service.address().toString());
        argv.add(service.protocol().name().toLowerCase(Locale.ROOT));
        last = last.thenRunAsync(() -> execute(argv), executor);
    }

    private static void execute(List<String> argv) {
        try {
            CommandRunner.Outcome outcome = CommandRunner.run(argv, TIMEOUT);
            if (outcome.succeeded()) {
                LOG.info("fallbackcommand {}: ok{}", String.join(" ", argv),
                        outcome.output().isBlank() ? "" : ": " + Texts.snippet(outcome.output()));
            } else {
                LOG.warn("fallbackcommand {} failed: {}", String.join(" ", argv), outcome.describe(TIMEOUT));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
