package lbd.director.upgrade;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The lbd that {@code lbd upgrade} starts: the installed launcher ({@code LBD_HOME/bin/lbd}, which runs the jar and
 * Java runtime installed now, not the ones this process runs) with this process's own arguments and
 * {@code --upgrade-from SOCKET}. It inherits this process's environment — under systemd its cgroup, user,
 * capabilities and $NOTIFY_SOCKET — except WATCHDOG_PID, which names this process: without it the new one pings the
 * watchdog itself once it is the main process. Its output comes here through a pipe until it has taken over (then
 * it writes to this process's stdout and stderr itself, see {@link TakeOver#adoptStdio}): each line is passed on to
 * this process's stderr, and the last ones are kept to say why a start failed.
 */
final class NewProcess {

    private static final int KEPT_LINES = 12;

    private final Process process;
    private final Thread relay;
    private final Deque<String> lastLines = new ArrayDeque<>(); // guarded by itself

    private NewProcess(Process process) {
        this.process = process;
        this.relay = Thread.ofPlatform().daemon().name("lbd-upgrade-output").unstarted(this::relayOutput);
    }

    /** The command: the launcher, the arguments this lbd was started with (less any --upgrade-from), the socket. */
    static List<String> command(Path launcher, List<String> arguments, Path handOverSocket) {
        List<String> argv = new ArrayList<>();
        argv.add(launcher.toString());
        for (int i = 0; i < arguments.size(); i++) {
            if (arguments.get(i).equals("--upgrade-from")) {
                i++; // and its value
            } else if (!arguments.get(i).startsWith("--upgrade-from=")) {
                argv.add(arguments.get(i));
            }
        }
        argv.add("--upgrade-from");
        argv.add(handOverSocket.toString());
        return argv;
    }

    static NewProcess start(List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().remove("WATCHDOG_PID");
        NewProcess started = new NewProcess(builder.start());
        started.relay.start();
        return started;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Whether {@code pid} is this process or one it started (a launcher that forks instead of exec). */
    boolean isOrDescends(long pid) {
        if (pid == process.pid()) {
            return true;
        }
        return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(p -> isOrDescends(p.pid())).orElse(false);
    }

    /** Waits up to {@code wait} for it to exit; its exit status, or -1 while it runs. */
    int awaitExit(Duration wait) throws InterruptedException {
        if (process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            relay.join(1000); // its last lines
            return process.exitValue();
        }
        return -1;
    }

    /** Stops it (SIGTERM, then SIGKILL after 5 s): a start that failed or took too long. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        relay.join(1000);
    }

    /** Its last lines of output, joined into one line for a reply. */
    String lastOutput() {
        synchronized (lastLines) {
            return String.join(" | ", lastLines);
        }
    }

    private void relayOutput() {
        PrintStream err = System.err;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                err.println(line);
                synchronized (lastLines) {
                    if (lastLines.size() == KEPT_LINES) {
                        lastLines.removeFirst();
                    }
                    lastLines.addLast(line.strip());
                }
            }
        } catch (IOException e) {
            // the new process went away
        }
    }
}
