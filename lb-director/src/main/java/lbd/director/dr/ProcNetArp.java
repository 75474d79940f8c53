package lbd.director.dr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.dataplane.dr.packet.Net;

/** The kernel's IPv4 neighbour table as /proc/net/arp shows it (per network namespace). */
public final class ProcNetArp {

    private static final int ATF_COM = 0x2; // entry complete

    private ProcNetArp() {
    }

    /** Complete entries on the interface: IPv4 address (big-endian int) to MAC. */
    public static Map<Integer, Long> read(Path file, String interfaceName) {
        try {
            return parse(Files.readAllLines(file), interfaceName);
        } catch (IOException e) {
            return Map.of();
        }
    }

    static Map<Integer, Long> parse(List<String> lines, String interfaceName) {
        Map<Integer, Long> out = new HashMap<>();
        for (int i = 1; i < lines.size(); i++) { // the first line is the header
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length < 6 || !f[5].equals(interfaceName)) {
                continue;
            }
            try {
                int flags = Integer.decode(f[2]);
                long mac = Net.parseMac(f[3]);
                if ((flags & ATF_COM) == 0 || mac == 0) {
                    continue;
                }
                String[] octets = f[0].split("\\.");
                byte[] ip = new byte[4];
                for (int b = 0; b < 4; b++) {
                    ip[b] = (byte) Integer.parseInt(octets[b]);
                }
                out.put(Net.ipv4(ip), mac);
            } catch (RuntimeException malformed) {
                // a line we do not understand is not a neighbour we can use
            }
        }
        return out;
    }
}
