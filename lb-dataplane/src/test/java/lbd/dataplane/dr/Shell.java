package lbd.dataplane.dr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command with a time bound and collects its exit status and combined output. Tests only. */
final class Shell {

    record Result(int exitCode, String output) {
        Result assertOk(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit code " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    private Shell() {
    }

    static Result run(List<String> command) {
        return run(command, Map.of());
    }

    static Result run(List<String> command, Map<String, String> env) {
        try {
            Path out = Files.createTempFile("lbt-shell", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out after 20 s: " + command);
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }

    static Result sh(String script) {
        return run(List.of("sh", "-c", script));
    }

    static Result inNetns(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    static boolean isRoot() {
        return "0".equals(run(List.of("id", "-u")).output().strip());
    }

    /** Deletes every network namespace whose name starts with the prefix (leftovers of a killed run). */
    static void deleteNamespaces(String prefix) {
        for (String line : run(List.of("ip", "netns", "list")).output().split("\n")) {
            String name = line.strip().split(" ")[0];
            if (name.startsWith(prefix)) {
                run(List.of("ip", "netns", "del", name));
            }
        }
    }

    /** scripts/ of the repository; surefire runs in the module directory. */
    static Path scriptsDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/vip-setup.sh"))) {
                return p.resolve("scripts");
            }
        }
        throw new AssertionError("scripts/vip-setup.sh not found above " + here);
    }
}
