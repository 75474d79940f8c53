package lbd.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads the fields of /proc/net/tcp and tcp6 (the kernel's {@code tcp4_seq_show}/{@code tcp6_seq_show}): an
 * endpoint is the address in hex, 32-bit words in the host's (little-endian) order, a colon and the port in hex;
 * the state is the hex value of the kernel's {@code TCP_*} enum. And joins them with a process's descriptors, whose
 * links in /proc/PID/fd name a socket by its inode ({@code socket:[123]}), as the tables' inode column does.
 */
public final class ProcNetTcp {

    /** A TCP socket in the process's network namespace, e.g. {@code tcp 127.0.0.1:80 -> 0.0.0.0:0 LISTEN}. */
    public record TcpSocket(String table, String local, int localPort, String remote, String state) {
        @Override
        public String toString() {
            return table + " " + local + " -> " + remote + " " + state;
        }
    }

    private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    private ProcNetTcp() {
    }

    /** The TCP sockets of {@code pid}'s network namespace (/proc/PID/net/tcp and tcp6), by their fd link text. */
    public static Map<String, TcpSocket> sockets(long pid) throws IOException {
        Path net = Path.of("/proc", Long.toString(pid), "net");
        Map<String, TcpSocket> sockets = new HashMap<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> lines = Files.readAllLines(net.resolve(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String local = f[1];
                sockets.put("socket:[" + f[9] + "]", new TcpSocket(table, endpoint(local),
                        Integer.parseInt(local.substring(local.indexOf(':') + 1), 16), endpoint(f[2]), state(f[3])));
            }
        }
        return sockets;
    }

    /** What each of {@code pid}'s open descriptors refers to: the links in /proc/PID/fd, e.g. {@code socket:[123]}. */
    public static List<String> descriptorLinks(long pid) throws IOException {
        List<String> links = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    links.add(Files.readSymbolicLink(fd).toString());
                } catch (NoSuchFileException closed) {
                    // closed while the directory was listed
                }
            }
        }
        return links;
    }

    /** {@code 0100007F:1F90} → {@code 127.0.0.1:8080}; an IPv6 endpoint → its eight groups, in brackets. */
    public static String endpoint(String field) {
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
    public static String state(String field) {
        int state = Integer.parseInt(field, 16);
        return state > 0 && state < STATES.length ? STATES[state] : "state " + field;
    }
}
