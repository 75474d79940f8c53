package lbd.director.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How many kernel pipes this process may hold at their full size (16 pages, 64 KiB), as the kernel's pipe
 * accounting decides (fs/pipe.c, alloc_pipe_info): the pages of every pipe a user holds are counted against
 * {@code fs.pipe-user-pages-soft} (16,384 by default: 1,024 pipes) and {@code fs.pipe-user-pages-hard} (0, no
 * limit, by default). Past the soft limit a new pipe gets 2 pages instead of 16, and past the hard limit none at
 * all (pipe(2) fails) — unless the process has CAP_SYS_RESOURCE or CAP_SYS_ADMIN. Root has both; the packaged
 * service's user lbd has neither.
 *
 * <p>Why it matters: a splice through a 2-page pipe moves 8 KiB per system call, and measured slower than copying
 * through user space (benchmarks/RESULTS.md, "Splice pipes"). The NAT proxy's limit on splicing directions is
 * therefore kept within what the user may hold at full size.
 *
 * @param softPages  fs.pipe-user-pages-soft (0 = none)
 * @param hardPages  fs.pipe-user-pages-hard (0 = none)
 * @param exempt     whether the process has CAP_SYS_RESOURCE or CAP_SYS_ADMIN, which lift both limits
 */
public record UserPipePages(long softPages, long hardPages, boolean exempt) {

    /** Pages of a pipe at its default size (PIPE_DEF_BUFFERS). */
    static final int PAGES_PER_PIPE = 16;
    /**
     * Pipes the user holds outside the NAT proxy's splicing: the launcher's and an upgrade's output pipes, the
     * JVM's own. The user's other processes count too; the packaged service's user runs lbd only.
     */
    static final int OTHER_PIPES = 16;

    /** This process's, from /proc; no limit when /proc does not say. */
    public static UserPipePages read() {
        OptionalLong effective = CapabilityCheck.effectiveCapabilities(Path.of("/proc/self/status"));
        boolean exempt = effective.isEmpty() || exempt(effective.getAsLong());
        return new UserPipePages(pages(Path.of("/proc/sys/fs/pipe-user-pages-soft")),
                pages(Path.of("/proc/sys/fs/pipe-user-pages-hard")), exempt);
    }

    /** Whether effective capabilities {@code effective} (CapEff) lift the user's pipe limits. */
    static boolean exempt(long effective) {
        return CapabilityCheck.has(effective, CapabilityCheck.CAP_SYS_RESOURCE)
                || CapabilityCheck.has(effective, CapabilityCheck.CAP_SYS_ADMIN);
    }

    private static long pages(Path sysctl) {
        try {
            return Long.parseLong(ProcValue.read(sysctl));
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The pipes the NAT proxy may hold at full size; {@link Integer#MAX_VALUE} when nothing limits them. */
    public int fullSizePipes() {
        if (exempt) {
            return Integer.MAX_VALUE;
        }
        long pages = Long.MAX_VALUE;
        if (softPages > 0) {
            pages = softPages;
        }
        if (hardPages > 0) {
            pages = Math.min(pages, hardPages);
        }
        if (pages == Long.MAX_VALUE) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, pages / PAGES_PER_PIPE - OTHER_PIPES));
    }

    /** For the start-up line: which limit applies, and why. */
    public String describe() {
        String hard = hardPages > 0 ? " and fs.pipe-user-pages-hard=" + hardPages : "";
        return "fs.pipe-user-pages-soft=" + softPages + hard + ", for a user without CAP_SYS_RESOURCE,";
    }
}
