package lbd.dataplane.dr.flow;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * The one binary form of DR flows and persistence templates that leave a process: the file a stop with
 * {@code cleanstop=no} leaves for the next start, the state an upgrade hands over, and the batches the active
 * director streams to its backup. Versioned and bounded; everything in network byte order.
 *
 * <pre>
 * message  = header record*
 * header   = magic u32 "LBDF" | version u8 (1) | reserved u8 (0) | count u16 | length u32 (header + records)
 *            | written at i64 (ms since the epoch, the writer's clock)
 * record   = type u8 (1 flow, 2 template) | family u8 (4, 6) | state u8 | flags u8
 *            | client port u16 | virtual port u16 | real server port u16 | reserved u16 (0)
 *            | remaining ms u32 | timeout ms u32 | client | VIP | real server   (4 or 16 bytes each)
 * </pre>
 * A flow's state is its {@link TcpStates} value, its flags bit 0 says that a persistence template controls it,
 * bit 1 that it is a UDP flow (then, and only then, its state is {@link TcpStates#UDP}; a reader that knows only
 * bit 0 refuses such a message as having reserved bits set, rather than take a UDP flow for a TCP one),
 * its remaining time is what was left of its timer when written, and its timeout field is 0. A template's state
 * is its netmask as a prefix length, its client the client network, its client port 0, its timeout its own
 * (the service's persistence timeout, or IPVS's 60 s once it outlived it), its flags bit 1 that it is a UDP
 * service's (bit 0 is never set). Bit 1 came after version 1 was out and the version stayed: a reader of either
 * age reads every TCP record alike, and an older one refuses a message that holds a UDP record whole ("reserved bits
 * set", said in its log) rather than take a UDP flow or template for a TCP one. A record is 32 bytes (IPv4) or 68
 * (IPv6); a message holds at most {@link #MAX_RECORDS} of them and is at most {@link #MAX_MESSAGE_LENGTH} long.
 *
 * <p>{@link Writer} and {@link Reader} are flyweights over a caller's big-endian buffer (absolute positions: its
 * position and limit are left alone): reused, they allocate nothing. A
 * reader checks the whole message before it hands out its first record, so a corrupt message is refused whole,
 * with the reason ({@link Reader#wrap}).
 *
 * <p>Addresses are passed as two longs: an IPv6 address's high and low 64 bits; an IPv4 address as
 * {@link FlowTable#IPV4} and its 32 bits (the flow table's own form of a client).
 */
public final class FlowRecords {

    public static final int MAGIC = 0x4C424446; // "LBDF"
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 20;
    public static final int MAX_MESSAGE_LENGTH = 65_535;
    public static final int MAX_RECORDS = 65_535;
    public static final int FLOW = 1;
    public static final int TEMPLATE = 2;
    /** A flow's flags: a persistence template controls it. */
    public static final int CONTROLLED = 1;
    /** A flow's or template's flags: a UDP flow, or a UDP service's template (without it: TCP). */
    public static final int UDP = 2;
    static final int FIXED_LENGTH = 20;
    /** Longest remaining time or timeout a record carries (u32 milliseconds: 49 days). */
    public static final long MAX_MILLIS = 0xFFFF_FFFFL;

    private FlowRecords() {
    }

    /** A record's length for an IPv4 ({@code ipv4}) or IPv6 flow or template. */
    public static int recordLength(boolean ipv4) {
        return FIXED_LENGTH + 3 * (ipv4 ? 4 : 16);
    }

    /**
     * Writes one flow record at {@code at}; returns its length. Allocates nothing (the ring-buffer path of the
     * sync uses it without a {@link Writer}).
     */
    public static int putFlow(ByteBuffer b, int at, long clientHigh, long clientLow, int clientPort,
                              long vipHigh, long vipLow, int vport, long serverHigh, long serverLow, int serverPort,
                              byte state, long remainingMillis, boolean controlled, boolean udp) {
        return put(b, at, FLOW, state, (controlled ? CONTROLLED : 0) | (udp ? UDP : 0), clientHigh, clientLow, clientPort, vipHigh, vipLow,
                vport, serverHigh, serverLow, serverPort, remainingMillis, 0);
    }

    /** Writes one template record of a TCP service at {@code at}; returns its length. */
    public static int putTemplate(ByteBuffer b, int at, long networkHigh, long networkLow, int prefixLength,
                                  long vipHigh, long vipLow, int vport, long serverHigh, long serverLow, int serverPort,
                                  long remainingMillis, long timeoutMillis) {
        return putTemplate(b, at, networkHigh, networkLow, prefixLength, vipHigh, vipLow, vport, serverHigh, serverLow,
                serverPort, remainingMillis, timeoutMillis, false);
    }

    /** Writes one template record of a TCP or ({@code udp}) UDP service at {@code at}; returns its length. */
    public static int putTemplate(ByteBuffer b, int at, long networkHigh, long networkLow, int prefixLength,
                                  long vipHigh, long vipLow, int vport, long serverHigh, long serverLow, int serverPort,
                                  long remainingMillis, long timeoutMillis, boolean udp) {
        return put(b, at, TEMPLATE, (byte) prefixLength, udp ? UDP : 0, networkHigh, networkLow, 0, vipHigh, vipLow, vport,
                serverHigh, serverLow, serverPort, remainingMillis, timeoutMillis);
    }

    private static int put(ByteBuffer b, int at, int type, byte state, int flags, long clientHigh,
                           long clientLow, int clientPort, long vipHigh, long vipLow, int vport, long serverHigh,
                           long serverLow, int serverPort, long remainingMillis, long timeoutMillis) {
        boolean ipv4 = clientHigh == FlowTable.IPV4;
        b.put(at, (byte) type);
        b.put(at + 1, (byte) (ipv4 ? 4 : 6));
        b.put(at + 2, state);
        b.put(at + 3, (byte) flags);
        b.putShort(at + 4, (short) clientPort);
        b.putShort(at + 6, (short) vport);
        b.putShort(at + 8, (short) serverPort);
        b.putShort(at + 10, (short) 0);
        b.putInt(at + 12, (int) Math.clamp(remainingMillis, 0, MAX_MILLIS));
        b.putInt(at + 16, (int) Math.clamp(timeoutMillis, 0, MAX_MILLIS));
        int p = at + FIXED_LENGTH;
        p = putAddress(b, p, ipv4, clientHigh, clientLow);
        p = putAddress(b, p, ipv4, vipHigh, vipLow);
        p = putAddress(b, p, ipv4, serverHigh, serverLow);
        return p - at;
    }

    private static int putAddress(ByteBuffer b, int p, boolean ipv4, long high, long low) {
        if (ipv4) {
            b.putInt(p, (int) low);
            return p + 4;
        }
        b.putLong(p, high);
        b.putLong(p + 8, low);
        return p + 16;
    }

    /** Writes a header at {@code at} for {@code count} records and a message of {@code length} bytes. */
    public static void putHeader(ByteBuffer b, int at, int count, int length, long writtenAtMillis) {
        b.putInt(at, MAGIC);
        b.put(at + 4, (byte) VERSION);
        b.put(at + 5, (byte) 0);
        b.putShort(at + 6, (short) count);
        b.putInt(at + 8, length);
        b.putLong(at + 12, writtenAtMillis);
    }

    /** An address's high half in the records' form: {@link FlowTable#IPV4} for IPv4. */
    public static long high(InetAddress a) {
        if (a instanceof Inet4Address) {
            return FlowTable.IPV4;
        }
        byte[] bytes = a.getAddress();
        return half(bytes, 0);
    }

    /** An address's low half in the records' form: the 32 bits of an IPv4 address. */
    public static long low(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.hashCode() & 0xFFFF_FFFFL; // an Inet4Address's hash is its address: nothing allocated
        }
        return half(a.getAddress(), 8);
    }

    private static long half(byte[] bytes, int from) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (bytes[from + i] & 0xff);
        }
        return v;
    }

    /** The address of a record's halves (control plane: allocates). */
    public static InetAddress address(long high, long low) {
        byte[] bytes;
        if (high == FlowTable.IPV4) {
            bytes = new byte[] {(byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low};
        } else {
            bytes = new byte[16];
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (high >>> (56 - 8 * i));
                bytes[i + 8] = (byte) (low >>> (56 - 8 * i));
            }
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // 4 or 16 bytes are always an address
        }
    }

    /**
     * Builds one message in a caller's buffer: {@link #wrap}, then records while they fit, then {@link #finish}.
     * Reusable; allocates nothing.
     */
    public static final class Writer {
        private ByteBuffer buffer;
        private int start;
        private int limit;
        private int position;
        private int count;
        private long writtenAtMillis;

        /** Starts a message at {@code offset}, at most {@code capacity} bytes (capped at the format's bound). */
        public Writer wrap(ByteBuffer b, int offset, int capacity, long writtenAtMillis) {
            if (capacity < HEADER_LENGTH) {
                throw new IllegalArgumentException("a message needs at least " + HEADER_LENGTH + " bytes: " + capacity);
            }
            buffer = b.order(java.nio.ByteOrder.BIG_ENDIAN);
            start = offset;
            limit = offset + Math.min(capacity, MAX_MESSAGE_LENGTH);
            position = offset + HEADER_LENGTH;
            count = 0;
            this.writtenAtMillis = writtenAtMillis;
            return this;
        }

        /** Whether a record of this family still fits. */
        public boolean fits(boolean ipv4) {
            return count < MAX_RECORDS && position + recordLength(ipv4) <= limit;
        }

        /** Appends a flow; false (nothing written) when it does not fit. */
        public boolean flow(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                            long serverHigh, long serverLow, int serverPort, byte state, long remainingMillis,
                            boolean controlled) {
            return flow(clientHigh, clientLow, clientPort, vipHigh, vipLow, vport, serverHigh, serverLow, serverPort,
                    state, remainingMillis, controlled, false);
        }

        /** Appends a TCP or ({@code udp}) UDP flow; false (nothing written) when it does not fit. */
        public boolean flow(long clientHigh, long clientLow, int clientPort, long vipHigh, long vipLow, int vport,
                            long serverHigh, long serverLow, int serverPort, byte state, long remainingMillis,
                            boolean controlled, boolean udp) {
            if (!fits(clientHigh == FlowTable.IPV4)) {
                return false;
            }
            position += putFlow(buffer, position, clientHigh, clientLow, clientPort, vipHigh, vipLow, vport,
                    serverHigh, serverLow, serverPort, state, remainingMillis, controlled, udp);
            count++;
            return true;
        }

        /** Appends a template of a TCP service; false (nothing written) when it does not fit. */
        public boolean template(long networkHigh, long networkLow, int prefixLength, long vipHigh, long vipLow,
                                int vport, long serverHigh, long serverLow, int serverPort, long remainingMillis,
                                long timeoutMillis) {
            return template(networkHigh, networkLow, prefixLength, vipHigh, vipLow, vport, serverHigh, serverLow,
                    serverPort, remainingMillis, timeoutMillis, false);
        }

        /** Appends a template of a TCP or ({@code udp}) UDP service; false (nothing written) when it does not fit. */
        public boolean template(long networkHigh, long networkLow, int prefixLength, long vipHigh, long vipLow,
                                int vport, long serverHigh, long serverLow, int serverPort, long remainingMillis,
                                long timeoutMillis, boolean udp) {
            if (!fits(networkHigh == FlowTable.IPV4)) {
                return false;
            }
            position += putTemplate(buffer, position, networkHigh, networkLow, prefixLength, vipHigh, vipLow, vport,
                    serverHigh, serverLow, serverPort, remainingMillis, timeoutMillis, udp);
            count++;
            return true;
        }

        /** Appends records already in the wire form (a sync ring's), {@code length} bytes of whole records. */
        public boolean records(ByteBuffer source, int offset, int length, int records) {
            if (count + records > MAX_RECORDS || position + length > limit) {
                return false;
            }
            buffer.put(position, source, offset, length);
            position += length;
            count += records;
            return true;
        }

        public int count() {
            return count;
        }

        /** Room left for records, in bytes. */
        public int remaining() {
            return limit - position;
        }

        /** Writes the header; returns the message's length. The writer may then be wrapped again. */
        public int finish() {
            int length = position - start;
            putHeader(buffer, start, count, length, writtenAtMillis);
            return length;
        }
    }

    /**
     * Reads one message: {@link #wrap} checks it whole (null, or why it is refused), then {@link #next} steps
     * through its records, whose fields the accessors give. Reusable; allocates nothing on a good message.
     */
    public static final class Reader {
        private ByteBuffer buffer;
        private int end;
        private int next;
        private int record = -1;
        private int count;
        private int messageStart;
        private long writtenAtMillis;

        /**
         * Checks the message at {@code offset} (at most {@code available} bytes): its header, its length, and
         * every record. Returns null when it is sound, else why it is not; a sound message's length is
         * {@link #length()}.
         */
        public String wrap(ByteBuffer b, int offset, int available) {
            buffer = b.order(java.nio.ByteOrder.BIG_ENDIAN);
            available = Math.max(0, Math.min(available, b.capacity() - offset));
            record = -1;
            count = 0;
            messageStart = offset;
            end = offset;
            next = offset;
            if (available < HEADER_LENGTH) {
                return "truncated: " + available + " bytes, a header alone is " + HEADER_LENGTH;
            }
            if (b.getInt(offset) != MAGIC) {
                return "not lbd flow state (no LBDF magic)";
            }
            int version = b.get(offset + 4) & 0xff;
            if (version != VERSION) {
                return "format version " + version + " (this lbd reads version " + VERSION + ")";
            }
            int n = b.getShort(offset + 6) & 0xffff;
            long length = b.getInt(offset + 8) & 0xFFFF_FFFFL;
            if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH || length > available) {
                return "message length " + length + " does not fit the " + available + " bytes at hand";
            }
            int stop = offset + (int) length;
            int p = offset + HEADER_LENGTH;
            for (int i = 0; i < n; i++) {
                String problem = checkRecord(b, p, stop);
                if (problem != null) {
                    return "record " + (i + 1) + " of " + n + ": " + problem;
                }
                p += recordLength((b.get(p + 1) & 0xff) == 4);
            }
            if (p != stop) {
                return "the message is " + length + " bytes long but its " + n + " records end at " + (p - offset);
            }
            count = n;
            end = stop;
            next = offset + HEADER_LENGTH;
            writtenAtMillis = b.getLong(offset + 12);
            return null;
        }

        private static String checkRecord(ByteBuffer b, int p, int stop) {
            if (p + FIXED_LENGTH > stop) {
                return "truncated";
            }
            int type = b.get(p) & 0xff;
            int family = b.get(p + 1) & 0xff;
            int state = b.get(p + 2) & 0xff;
            if (type != FLOW && type != TEMPLATE) {
                return "unknown record type " + type;
            }
            if (family != 4 && family != 6) {
                return "unknown address family " + family;
            }
            if (p + recordLength(family == 4) > stop) {
                return "truncated";
            }
            if (type == FLOW && state >= TcpStates.count()) {
                return "unknown TCP state " + state;
            }
            if (type == TEMPLATE && state > (family == 4 ? 32 : 128)) {
                return "netmask /" + state + " for an IPv" + family + " network";
            }
            int flags = b.get(p + 3) & 0xff;
            if ((flags & ~(CONTROLLED | UDP)) != 0 || b.getShort(p + 10) != 0
                    || (type == TEMPLATE && (flags & CONTROLLED) != 0)) {
                return "reserved bits set";
            }
            if (type == FLOW && ((flags & UDP) != 0) != (state == TcpStates.UDP)) {
                return (flags & UDP) != 0 ? "a UDP flow in TCP state " + TcpStates.name((byte) state)
                        : "a TCP flow in the UDP state";
            }
            return null;
        }

        /** The sound message's length in bytes (after a successful {@link #wrap}). */
        public int length() {
            return end - messageStart;
        }

        public int count() {
            return count;
        }

        /** When the writer wrote the message, by its clock (ms since the epoch). */
        public long writtenAtMillis() {
            return writtenAtMillis;
        }

        /** Moves to the next record; false after the last. */
        public boolean next() {
            if (next >= end) {
                return false;
            }
            record = next;
            next += recordLength(ipv4());
            return true;
        }

        public int type() {
            return buffer.get(record) & 0xff;
        }

        public boolean ipv4() {
            return (buffer.get(record + 1) & 0xff) == 4;
        }

        /** A flow's TCP state. */
        public byte state() {
            return buffer.get(record + 2);
        }

        /** A template's netmask as a prefix length. */
        public int prefixLength() {
            return buffer.get(record + 2) & 0xff;
        }

        public boolean controlled() {
            return (buffer.get(record + 3) & CONTROLLED) != 0;
        }

        /** Whether the flow is a UDP one, or the template a UDP service's. */
        public boolean udp() {
            return (buffer.get(record + 3) & UDP) != 0;
        }

        public int clientPort() {
            return buffer.getShort(record + 4) & 0xffff;
        }

        public int virtualPort() {
            return buffer.getShort(record + 6) & 0xffff;
        }

        public int serverPort() {
            return buffer.getShort(record + 8) & 0xffff;
        }

        public long remainingMillis() {
            return buffer.getInt(record + 12) & 0xFFFF_FFFFL;
        }

        public long timeoutMillis() {
            return buffer.getInt(record + 16) & 0xFFFF_FFFFL;
        }

        public long clientHigh() {
            return high(0);
        }

        public long clientLow() {
            return low(0);
        }

        public long vipHigh() {
            return high(1);
        }

        public long vipLow() {
            return low(1);
        }

        public long serverHigh() {
            return high(2);
        }

        public long serverLow() {
            return low(2);
        }

        private long high(int which) {
            return ipv4() ? FlowTable.IPV4 : buffer.getLong(record + FIXED_LENGTH + 16 * which);
        }

        private long low(int which) {
            return ipv4() ? buffer.getInt(record + FIXED_LENGTH + 4 * which) & 0xFFFF_FFFFL
                    : buffer.getLong(record + FIXED_LENGTH + 16 * which + 8);
        }
    }
}
