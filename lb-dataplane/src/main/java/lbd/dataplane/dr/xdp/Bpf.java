package lbd.dataplane.dr.xdp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import lbd.dataplane.dr.sys.DrSystemException;
import lbd.sys.LinuxNative;

/**
 * The bpf(2) commands the AF_XDP receive path uses, each filling its part of {@code union bpf_attr} (include/uapi/
 * linux/bpf.h): maps, loading an XDP program, and attaching it to an interface through a BPF link. Every call
 * returns a descriptor the caller owns; a failure throws with the kernel's reason.
 */
final class Bpf {

    static final int MAP_TYPE_HASH = 1;
    static final int MAP_TYPE_XSKMAP = 17;
    static final int XDP_FLAGS_SKB_MODE = 1 << 1;

    private static final int CMD_MAP_CREATE = 0;
    private static final int CMD_MAP_UPDATE_ELEM = 2;
    private static final int CMD_MAP_DELETE_ELEM = 3;
    private static final int CMD_PROG_LOAD = 5;
    private static final int CMD_PROG_TEST_RUN = 10;
    private static final int CMD_LINK_CREATE = 28;
    private static final int PROG_TYPE_XDP = 6;
    private static final int ATTACH_TYPE_XDP = 37;
    private static final int ATTR_SIZE = 128; // the fields used here; the kernel takes a shorter union as zeroed after
    private static final int LOG_SIZE = 1 << 16;
    private static final int ENOENT = 2;

    private Bpf() {
    }

    /** A map of {@code maxEntries} keys, named for {@code bpftool map} listings (at most 15 characters). */
    static int createMap(int type, int keySize, int valueSize, int maxEntries, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = leadingInts(arena, type, keySize, valueSize, maxEntries);
            putName(attr, 28, name);
            return call(arena, CMD_MAP_CREATE, attr, "create the BPF map " + name);
        }
    }

    /** Sets {@code key} to {@code value} in the map (created or replaced). */
    static void update(int map, MemorySegment key, MemorySegment value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, map);
            attr.set(ValueLayout.JAVA_LONG, 8, key.address());
            attr.set(ValueLayout.JAVA_LONG, 16, value.address());
            call(arena, CMD_MAP_UPDATE_ELEM, attr, "update a BPF map");
        }
    }

    /** Removes {@code key} from the map; a key that is not there is no error. */
    static void delete(int map, MemorySegment key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, map);
            attr.set(ValueLayout.JAVA_LONG, 8, key.address());
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            if (LinuxNative.bpf(errno, CMD_MAP_DELETE_ELEM, attr, ATTR_SIZE) < 0
                    && LinuxNative.errno(errno) != ENOENT) {
                throw new DrSystemException("cannot delete from a BPF map: "
                        + LinuxNative.strerror(LinuxNative.errno(errno)));
            }
        }
    }

    /**
     * Loads an XDP program (its instructions, 8 bytes each); a program the verifier refuses throws with the
     * verifier's log, which says which instruction and why.
     */
    static int loadXdp(long[] instructions, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(8L * instructions.length, 8);
            MemorySegment.copy(instructions, 0, code, ValueLayout.JAVA_LONG, 0, instructions.length);
            MemorySegment license = arena.allocateFrom("GPL"); // the helpers it calls are for GPL programs
            MemorySegment log = arena.allocate(LOG_SIZE);
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, PROG_TYPE_XDP);
            attr.set(ValueLayout.JAVA_INT, 4, instructions.length);
            attr.set(ValueLayout.JAVA_LONG, 8, code.address());
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            attr.set(ValueLayout.JAVA_INT, 24, 1); // log_level: the verifier's reasons when it refuses
            attr.set(ValueLayout.JAVA_INT, 28, LOG_SIZE);
            attr.set(ValueLayout.JAVA_LONG, 32, log.address());
            putName(attr, 48, name);
            MemorySegment errno = LinuxNative.newErrnoSegment(arena);
            int fd = LinuxNative.bpf(errno, CMD_PROG_LOAD, attr, ATTR_SIZE);
            if (fd < 0) {
                throw new DrSystemException("cannot load the XDP program " + name + ": "
                        + LinuxNative.strerror(LinuxNative.errno(errno)) + "; the verifier said: "
                        + log.getString(0).strip());
            }
            return fd;
        }
    }

    /**
     * Attaches the XDP program to the interface through a BPF link: the program stays attached while the link's
     * descriptor is open, and no longer — lbd's exit, a kill included, detaches it. Fails (EBUSY) when the interface
     * has an XDP program already.
     */
    static int attachXdp(int program, int interfaceIndex, int flags, String interfaceName) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = leadingInts(arena, program, interfaceIndex, ATTACH_TYPE_XDP, flags);
            return call(arena, CMD_LINK_CREATE, attr, "attach the XDP program to " + interfaceName);
        }
    }

    /**
     * Runs the program once on {@code frame} in the kernel ({@code BPF_PROG_TEST_RUN}: on the loopback device's
     * queue 0, nothing sent anywhere) and returns its verdict (XDP_PASS 2, XDP_REDIRECT 4, ...): how the program
     * is tested without traffic.
     */
    static int testRun(int program, byte[] frame) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(frame.length);
            MemorySegment.copy(frame, 0, data, ValueLayout.JAVA_BYTE, 0, frame.length);
            MemorySegment attr = leadingInts(arena, program, 0, frame.length, 0);
            attr.set(ValueLayout.JAVA_LONG, 16, data.address());
            attr.set(ValueLayout.JAVA_INT, 32, 1); // repeat
            call(arena, CMD_PROG_TEST_RUN, attr, "test-run the XDP program");
            return attr.get(ValueLayout.JAVA_INT, 4);
        }
    }

    /** A zeroed {@code union bpf_attr} whose first fields are these 32-bit values. */
    private static MemorySegment leadingInts(Arena arena, int... values) {
        MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
        for (int i = 0; i < values.length; i++) {
            attr.set(ValueLayout.JAVA_INT, 4L * i, values[i]);
        }
        return attr;
    }

    private static void putName(MemorySegment attr, long offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, attr, ValueLayout.JAVA_BYTE, offset, Math.min(bytes.length, 15));
    }

    private static int call(Arena arena, int cmd, MemorySegment attr, String what) {
        MemorySegment errno = LinuxNative.newErrnoSegment(arena);
        int rc = LinuxNative.bpf(errno, cmd, attr, ATTR_SIZE);
        if (rc < 0) {
            throw new DrSystemException("cannot " + what + ": " + LinuxNative.strerror(LinuxNative.errno(errno)));
        }
        return rc;
    }
}
