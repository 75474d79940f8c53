package lbd.dataplane.dr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command with a time bound and collects its exit status and combined output. Tests only: shared with
 * lb-director's namespace tests through lb-dataplane's test-jar.
 */
public final class Shell {

    private static final int TIMEOUT_SECONDS = 20;

    public record Result(int exitCode, String output) {
        public Result assertOk(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit code " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    private Shell() {
    }

    public static Result run(List<String> command) {
        return run(command, Map.of());
    }

    /** Fails the test when the command cannot be started or does not finish in time. */
    public static Result run(List<String> command, Map<String, String> env) {
        return run(Duration.ofSeconds(TIMEOUT_SECONDS), command, env);
    }

    /** As {@link #run(List, Map)}, for a command that may take longer than the usual bound (a build). */
    public static Result run(Duration timeout, List<String> command, Map<String, String> env) {
        Result result;
        try {
            result = execute(command, env, timeout);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        }
        if (result == null) {
            throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + command);
        }
        return result;
    }

    /**
     * Like {@link #run(List)}, but a command that cannot be started or does not finish in time gives exit code -1
     * (with why as the output) instead of failing the test: for asking whether a tool is there (to skip), and for
     * cleanup that must go on.
     */
    public static Result attempt(List<String> command) {
        try {
            Result result = execute(command, Map.of(), Duration.ofSeconds(TIMEOUT_SECONDS));
            return result != null ? result : new Result(-1, "timed out after " + TIMEOUT_SECONDS + " s: " + command);
        } catch (IOException e) {
            return new Result(-1, "cannot run " + command + ": " + e.getMessage());
        }
    }

    /** The command's result, or null when it did not finish in time (it is then killed). */
    private static Result execute(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException {
        Path out = Files.createTempFile("lbt-shell", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    public static Result sh(String script) {
        return run(List.of("sh", "-c", script));
    }

    public static Result inNetns(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    public static boolean isRoot() {
        return "0".equals(run(List.of("id", "-u")).output().strip());
    }

    /** Deletes every network namespace whose name starts with the prefix (leftovers of a killed run). */
    public static void deleteNamespaces(String prefix) {
        for (String line : run(List.of("ip", "netns", "list")).output().split("\n")) {
            String name = line.strip().split(" ")[0];
            if (name.startsWith(prefix)) {
                run(List.of("ip", "netns", "del", name));
            }
        }
    }

    /**
     * The running processes that have {@code argument} as one of their arguments (e.g. the configuration file of an
     * lbd a test started, also one an upgrade started and init adopted), read from /proc/PID/cmdline whole.
     * ProcessHandle.Info cannot find them: it reads at most 4096 bytes of a command line and gives no arguments at
     * all for a longer one, and a child JVM on the test class path has a far longer one.
     */
    public static List<ProcessHandle> processesWithArgument(String argument) {
        byte[] wanted = (argument + "\0").getBytes(StandardCharsets.UTF_8);
        List<ProcessHandle> found = new ArrayList<>();
        try (java.util.stream.Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                byte[] cmdline;
                try {
                    cmdline = Files.readAllBytes(entry.resolve("cmdline"));
                } catch (IOException gone) {
                    continue; // exited meanwhile
                }
                if (hasArgument(cmdline, wanted)) {
                    ProcessHandle.of(Long.parseLong(name)).ifPresent(found::add);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc: " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * Kills (SIGKILL) {@code processes}, their descendants, and every process that has {@code argument} among its
     * arguments (an lbd an upgrade started is no child of ours once its parent exited: found by its configuration
     * file), then waits up to 10 s for each to be gone. A process that outlives that is left to the test's own
     * assertions; a lab's namespaces are removed after this regardless.
     */
    public static void killAll(List<Process> processes, String argument) {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        all.addAll(processesWithArgument(argument));
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the test's own assertions
            }
        }
    }

    /** Whether the NUL-separated {@code cmdline} holds {@code wanted} (an argument and its NUL) as a whole argument. */
    private static boolean hasArgument(byte[] cmdline, byte[] wanted) {
        for (int start = 0; start + wanted.length <= cmdline.length; ) {
            if (java.util.Arrays.equals(cmdline, start, start + wanted.length, wanted, 0, wanted.length)) {
                return true;
            }
            int end = start;
            while (end < cmdline.length && cmdline[end] != 0) {
                end++;
            }
            start = end + 1;
        }
        return false;
    }

    /** scripts/NAME of the repository; surefire runs in the module directory. */
    public static Path script(String name) {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts").resolve(name))) {
                return p.resolve("scripts").resolve(name);
            }
        }
        throw new AssertionError("scripts/" + name + " not found above " + here);
    }

    /** scripts/netns-lab.sh (the namespace plumbing of the DR and director tests) with these arguments; must succeed. */
    public static void netnsLab(String... args) {
        List<String> cmd = new ArrayList<>(List.of(script("netns-lab.sh").toString()));
        cmd.addAll(List.of(args));
        run(cmd).assertOk(String.join(" ", cmd));
    }
}
