package lbd.dataplane.dr.flow;

import lbd.dataplane.dr.packet.FrameParser;

/**
 * IPVS's TCP connection states and timeouts (ip_vs_proto_tcp.c), UDP's one state (ip_vs_proto_udp.c), and its "input only" transition table: the
 * one IPVS uses when it sees only the client's half of a connection, which is always the case in direct
 * routing (the real server answers the client itself).
 */
public final class TcpStates {

    public static final byte NONE = 0;
    public static final byte ESTABLISHED = 1;
    public static final byte SYN_SENT = 2;
    public static final byte SYN_RECV = 3;
    public static final byte FIN_WAIT = 4;
    public static final byte TIME_WAIT = 5;
    public static final byte CLOSE = 6;
    public static final byte CLOSE_WAIT = 7;
    public static final byte LAST_ACK = 8;
    public static final byte LISTEN = 9;
    public static final byte SYNACK = 10;
    /**
     * Not a TCP state: the one state of a UDP flow (IPVS's IP_VS_UDP_S_NORMAL, listed as "UDP"), kept in the same
     * table so that a flow's timeout is found the same way whatever its protocol; {@link #next} never leaves it.
     */
    public static final byte UDP = 11;

    private static final String[] NAMES = {
        "NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT",
        "LAST_ACK", "LISTEN", "SYNACK", "UDP"
    };

    /** Default IPVS timeouts in milliseconds, by state. */
    private static final long[] TIMEOUT_MILLIS = {
        2_000, 900_000, 120_000, 60_000, 120_000, 120_000, 10_000, 60_000, 30_000, 120_000, 120_000, 300_000
    };

    private static final byte NO = NONE;
    private static final byte ES = ESTABLISHED;
    private static final byte SS = SYN_SENT;
    private static final byte SR = SYN_RECV;
    private static final byte FW = FIN_WAIT;
    private static final byte TW = TIME_WAIT;
    private static final byte CL = CLOSE;
    private static final byte CW = CLOSE_WAIT;
    private static final byte LA = LAST_ACK;
    private static final byte LI = LISTEN;

    // Rows: syn, fin, ack, rst. Columns: the current state, NONE..SYNACK.
    private static final byte[][] INPUT_ONLY = {
        {SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
        {CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW},
        {CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
        {CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL},
    };

    static {
        assert NO == 0;
    }

    private TcpStates() {
    }

    /**
     * The state after a client packet with these TCP flags. As IPVS: RST wins over SYN over FIN over ACK; a
     * segment with none of them leaves the state alone, and so does every UDP datagram (passed with no flags).
     */
    public static byte next(byte state, int tcpFlags) {
        if (state == UDP) {
            return UDP;
        }
        int row;
        if ((tcpFlags & FrameParser.TCP_RST) != 0) {
            row = 3;
        } else if ((tcpFlags & FrameParser.TCP_SYN) != 0) {
            row = 0;
        } else if ((tcpFlags & FrameParser.TCP_FIN) != 0) {
            row = 1;
        } else if ((tcpFlags & FrameParser.TCP_ACK) != 0) {
            row = 2;
        } else {
            return state;
        }
        return INPUT_ONLY[row][state];
    }

    /** IPVS's default timeout of a state. */
    public static long timeoutMillis(byte state) {
        return TIMEOUT_MILLIS[state];
    }

    /**
     * The timeout of every state, by state, with ESTABLISHED's, FIN_WAIT's and UDP's as
     * {@code ipvsadm --set tcp tcpfin udp} set them (the kernel's ip_vs_set_timeout changes only these three);
     * into {@code out}.
     */
    public static void timeoutsMillis(long tcpMillis, long tcpFinMillis, long udpMillis, long[] out) {
        System.arraycopy(TIMEOUT_MILLIS, 0, out, 0, TIMEOUT_MILLIS.length);
        out[ESTABLISHED] = tcpMillis;
        out[FIN_WAIT] = tcpFinMillis;
        out[UDP] = udpMillis;
    }

    static int count() {
        return NAMES.length;
    }

    public static String name(byte state) {
        return NAMES[state];
    }
}
