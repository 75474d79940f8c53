package lbd.director.ha;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} (bounded in time) and returns its exit status and output; {@link #program} runs another
 * of the host's tools (nft, iptables-save) the same way.
 */
public final class IpCommand {

    private static final long TIMEOUT_SECONDS = 5;

    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private IpCommand() {
    }

    public static Result run(String... args) {
        return program("ip", "iproute2", args);
    }

    /**
     * Runs {@code name} with {@code args}; exit status -1 with the reason when it cannot be started (not installed:
     * the message names {@code debianPackage}) or does not finish in time.
     */
    public static Result program(String name, String debianPackage, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(name);
        argv.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return new Result(-1, "cannot run " + name + " (install " + debianPackage + "): " + e.getMessage());
        }
        try (InputStream in = p.getInputStream()) {
            byte[] out = in.readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, name + " " + String.join(" ", args) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            p.destroyForcibly();
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
