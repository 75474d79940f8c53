package lbd.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an operator's command (checkcommand, fallbackcommand, ping; the director's callback) with a time bound: stdout and stderr are
 * captured (the first few KB) for the log, and at the bound the command and everything it started is killed.
 */
public final class CommandRunner {

    private static final int MAX_CAPTURE = 8 * 1024;
    private static final long READER_GRACE_MS = 500;

    /**
     * @param exitCode the exit status, or -1 when it did not exit by itself
     * @param timedOut killed at the bound
     * @param output   captured stdout+stderr (truncated)
     * @param failure  why it could not be started, or null
     */
    public record Outcome(int exitCode, boolean timedOut, String output, String failure) {

        public boolean succeeded() {
            return failure == null && !timedOut && exitCode == 0;
        }

        /** {@code exit 1: no backend}, {@code killed after 2 s}, {@code cannot run /x: No such file}. */
        public String describe(Duration timeout) {
            String what = failure != null ? failure
                    : timedOut ? "killed after " + Texts.duration(timeout)
                    : "exit " + exitCode;
            String out = Texts.snippet(output);
            return out.isEmpty() ? what : what + ": " + out;
        }
    }

    private CommandRunner() {
    }

    public static Outcome run(List<String> argv, Duration timeout) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            return new Outcome(-1, false, "", "cannot run " + argv.getFirst() + ": " + rootMessage(e));
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().name("cmd-output").start(() -> drain(process.getInputStream(), captured));
        boolean exited = false;
        try {
            exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            if (!exited) {
                killTree(process);
            }
        }
        // A grandchild that inherited the pipe could keep it open; never wait on it for long.
        reader.join(Duration.ofMillis(READER_GRACE_MS));
        String output;
        synchronized (captured) {
            output = captured.toString(StandardCharsets.UTF_8);
        }
        return new Outcome(exited ? process.exitValue() : -1, !exited, output, null);
    }

    private static void killTree(Process process) {
        // Descendants first: once the parent dies its children are re-parented and no longer found.
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        byte[] buffer = new byte[1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (sink) {
                    int room = MAX_CAPTURE - sink.size();
                    if (room > 0) {
                        sink.write(buffer, 0, Math.min(room, n));
                    }
                }
            }
        } catch (IOException ignored) {
            // The process went away; whatever was captured is all there is.
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
