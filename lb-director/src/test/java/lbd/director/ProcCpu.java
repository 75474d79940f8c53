package lbd.director;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * CPU time the kernel counted for a process or some of its threads: utime + stime in clock ticks (fields 14 and 15
 * of /proc/PID/stat and /proc/PID/task/TID/stat, counted after the command in parentheses, which may hold spaces).
 */
public final class ProcCpu {

    private ProcCpu() {
    }

    /** The whole process's. */
    public static long processTicks(long pid) throws IOException {
        return ticks(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** The sum over the process's threads whose name (comm) matches; 0 when none does. */
    public static long threadTicks(long pid, Predicate<String> named) throws IOException {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                if (named.test(Files.readString(task.resolve("comm")).strip())) {
                    ticks += ticks(task.resolve("stat"));
                }
            }
        }
        return ticks;
    }

    /** How many of the process's threads have a matching name (comm). */
    public static int threadCount(long pid, Predicate<String> named) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            int n = 0;
            for (Path task : (Iterable<Path>) tasks::iterator) {
                if (named.test(Files.readString(task.resolve("comm")).strip())) {
                    n++;
                }
            }
            return n;
        }
    }

    private static long ticks(Path stat) throws IOException {
        String text = Files.readString(stat);
        String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
