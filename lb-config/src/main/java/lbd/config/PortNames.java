package lbd.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Port names such as {@code :http}: a small built-in table (so that a configuration means the same on every
 * machine), extended by /etc/services when present. Read once, at first use. The one table for every place an
 * operator writes a port: ldirectord.cf ({@code virtual=VIP:ssh}) and lbadm ({@code -t VIP:ssh}).
 */
public final class PortNames {

    private static final Map<String, Integer> BUILT_IN = Map.ofEntries(
            Map.entry("ftp", 21), Map.entry("ssh", 22), Map.entry("telnet", 23), Map.entry("smtp", 25),
            Map.entry("domain", 53), Map.entry("http", 80), Map.entry("www", 80), Map.entry("pop3", 110),
            Map.entry("nntp", 119), Map.entry("imap", 143), Map.entry("imap2", 143), Map.entry("ldap", 389),
            Map.entry("https", 443), Map.entry("submission", 587), Map.entry("ldaps", 636),
            Map.entry("imaps", 993), Map.entry("pop3s", 995), Map.entry("ms-sql-s", 1433),
            Map.entry("radius", 1812), Map.entry("mysql", 3306), Map.entry("sip", 5060),
            Map.entry("postgresql", 5432), Map.entry("http-alt", 8080));

    private static final class FromSystem {
        static final Map<String, Integer> PORTS = read(Path.of("/etc/services"));
    }

    private PortNames() {
    }

    /** The TCP port of a service name, from the built-in table first, then /etc/services. */
    public static Optional<Integer> lookup(String name) {
        Integer p = BUILT_IN.get(name);
        return Optional.ofNullable(p != null ? p : FromSystem.PORTS.get(name));
    }

    /** tcp entries of an /etc/services file: "name port/proto aliases... # comment". */
    static Map<String, Integer> read(Path file) {
        Map<String, Integer> ports = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            return Map.of();
        }
        for (String line : lines) {
            String[] f = LineReader.stripComment(line).trim().split("\\s+");
            if (f.length < 2 || !f[1].endsWith("/tcp")) {
                continue;
            }
            try {
                int port = Integer.parseInt(f[1].substring(0, f[1].indexOf('/')));
                for (int i = 0; i < f.length; i++) {
                    if (i != 1) {
                        ports.putIfAbsent(f[i], port);
                    }
                }
            } catch (NumberFormatException e) {
                // A malformed line in /etc/services: not ours to report; skip it.
            }
        }
        return Map.copyOf(ports);
    }
}
