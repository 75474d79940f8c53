package lbd.director.dr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.dr.DrInterface;
import lbd.dataplane.dr.packet.Net;

/**
 * {@link KernelCopyDrop} in a child JVM, for {@link KernelCopyDropNamespaceTest}: opens it on the interfaces given
 * as arguments, prints {@code TABLE name}, then takes one command per line from its input —
 * {@code follow PROTO:ADDRESS:PORT ...} (answered {@code OK} or {@code ERROR reason}) or {@code quit}.
 */
public final class KernelCopyDropMain {

    private KernelCopyDropMain() {
    }

    public static void main(String[] args) throws Exception {
        KernelCopyDrop drop;
        try {
            List<DrInterface> interfaces = new ArrayList<>();
            for (String name : args) { // the index is not used; the MAC is the interface's own
                String mac = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", name, "address"));
                interfaces.add(new DrInterface(name, 0, Net.parseMac(mac)));
            }
            drop = KernelCopyDrop.open(interfaces);
        } catch (IllegalStateException e) {
            System.out.println("ERROR " + e.getMessage());
            return;
        }
        System.out.println("TABLE " + drop.table());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.startsWith("follow")) {
                List<VirtualServiceKey> keys = new ArrayList<>();
                Arrays.stream(line.split(" ")).skip(1).forEach(k -> keys.add(key(k)));
                try {
                    drop.follow(keys);
                    System.out.println("OK");
                } catch (IllegalStateException e) {
                    System.out.println("ERROR " + e.getMessage());
                }
            }
        }
        drop.close();
        System.out.println("CLOSED");
    }

    /** "tcp:198.18.0.1:80" or "udp:[fd00::1]:53". */
    private static VirtualServiceKey key(String s) {
        String[] p = s.split(":", 2);
        int colon = p[1].lastIndexOf(':');
        String address = p[1].substring(0, colon).replace("[", "").replace("]", "");
        return new VirtualServiceKey(Protocol.valueOf(p[0].toUpperCase(java.util.Locale.ROOT)),
                Endpoint.of(address, Integer.parseInt(p[1].substring(colon + 1))));
    }
}
