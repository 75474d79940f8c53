package lbd.config.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The sizes IPVS's mh scheduler can have. The kernel fixes it when it is built (CONFIG_IP_VS_MH_TAB_INDEX 8..17
 * picks one of the primes of ip_vs_mh.c, 12 by default); lbd lets each service choose one of the same primes
 * ({@code mhtablesize=}), so that a table lbd builds is one a kernel could have built. Maglev balances well when
 * the table has about a hundred slots per server.
 */
public final class MaglevTableSize {

    /** ip_vs_mh.c's primes, for CONFIG_IP_VS_MH_TAB_INDEX 8, 9, ... 17. */
    public static final List<Integer> SIZES =
            List.of(251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071);

    /** CONFIG_IP_VS_MH_TAB_INDEX=12, the kernel's default. */
    public static final int DEFAULT = 4093;

    private MaglevTableSize() {
    }

    /** CONFIG_IP_VS_MH_TAB_INDEX of a size, or -1 when the kernel has no such size. */
    public static int configIndex(int size) {
        int i = SIZES.indexOf(size);
        return i < 0 ? -1 : i + 8;
    }

    /** "251, 509, ..., 131071", for messages. */
    public static String listed() {
        return SIZES.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
