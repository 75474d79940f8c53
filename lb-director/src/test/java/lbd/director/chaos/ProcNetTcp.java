package lbd.director.chaos;

/**
 * Reads the fields of /proc/net/tcp and tcp6 (the kernel's {@code tcp4_seq_show}/{@code tcp6_seq_show}): an
 * endpoint is the address in hex, 32-bit words in the host's (little-endian) order, a colon and the port in hex;
 * the state is the hex value of the kernel's {@code TCP_*} enum.
 */
final class ProcNetTcp {

    private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    private ProcNetTcp() {
    }

    /** {@code 0100007F:1F90} → {@code 127.0.0.1:8080}; an IPv6 endpoint → its eight groups, in brackets. */
    static String endpoint(String field) {
        int colon = field.indexOf(':');
        String address = field.substring(0, colon);
        int port = Integer.parseInt(field.substring(colon + 1), 16);
        StringBuilder text = new StringBuilder();
        if (address.length() == 8) {
            for (int i = 3; i >= 0; i--) {
                text.append(Integer.parseInt(address.substring(2 * i, 2 * i + 2), 16)).append(i > 0 ? "." : "");
            }
            return text.append(':').append(port).toString();
        }
        text.append('[');
        for (int word = 0; word < 4; word++) {
            String w = address.substring(8 * word, 8 * word + 8);
            String bytes = w.substring(6, 8) + w.substring(4, 6) + w.substring(2, 4) + w.substring(0, 2);
            text.append(Integer.toHexString(Integer.parseInt(bytes.substring(0, 4), 16))).append(':')
                    .append(Integer.toHexString(Integer.parseInt(bytes.substring(4, 8), 16)))
                    .append(word < 3 ? ":" : "");
        }
        return text.append("]:").append(port).toString();
    }

    /** {@code 01} → {@code ESTABLISHED}. */
    static String state(String field) {
        int state = Integer.parseInt(field, 16);
        return state > 0 && state < STATES.length ? STATES[state] : "state " + field;
    }
}
