package lbd.director.dr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Commands for namespace tests, each bounded in time: the lab's plumbing itself is scripts/netns-lab.sh (shared
 * with lb-dataplane's DR test), this only runs it and other commands and collects their output. Tests only.
 */
final class NetnsLab {

    record Result(int exitCode, String output) {
        Result assertOk(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit code " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    private NetnsLab() {
    }

    static boolean isRoot() {
        return "0".equals(run(List.of("id", "-u")).output().strip());
    }

    /** scripts/NAME of the repository (surefire runs in the module directory). */
    static Path script(String name) {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts").resolve(name))) {
                return p.resolve("scripts").resolve(name);
            }
        }
        throw new AssertionError("scripts/" + name + " not found above " + here);
    }

    /** scripts/netns-lab.sh with these arguments, which must succeed. */
    static void lab(String... args) {
        List<String> cmd = new ArrayList<>(List.of(script("netns-lab.sh").toString()));
        cmd.addAll(List.of(args));
        run(cmd).assertOk(String.join(" ", cmd));
    }

    static Result inNetns(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    static Result run(List<String> command) {
        try {
            Path out = Files.createTempFile("lbt-cmd", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
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
}
