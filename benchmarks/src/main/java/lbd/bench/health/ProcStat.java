package lbd.bench.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** CPU time from /proc, in nanoseconds (USER_HZ is 100 on Linux: one tick is 10 ms). */
final class ProcStat {

    static final long TICK_NANOS = 10_000_000L;

    private ProcStat() {
    }

    /** utime and stime of a process. */
    static long[] userSys(String pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS};
    }

    /**
     * Softirq time of the whole machine and of each CPU: [total, cpu0, cpu1, ...]. Softirq work that the
     * kernel charges to a task (no CONFIG_IRQ_TIME_ACCOUNTING) shows up here only when it ran in softirq context.
     */
    static long[] softirq() throws IOException {
        List<String> cpus = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.startsWith("cpu")).toList();
        long[] out = new long[cpus.size()];
        for (int i = 0; i < cpus.size(); i++) {
            String[] f = cpus.get(i).trim().split("\\s+");
            out[i] = Long.parseLong(f[7]) * TICK_NANOS; // cpu user nice system idle iowait irq softirq
        }
        return out;
    }
}
