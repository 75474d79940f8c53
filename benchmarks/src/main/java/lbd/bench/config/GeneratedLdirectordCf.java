package lbd.bench.config;

/**
 * Writes an ldirectord.cf of {@code services} virtual services in the shape of files seen in the field: a
 * commented global section, then per service a comment, 2–4 {@code real=} lines (one forwarding method per
 * service, weights on some), and service/scheduler/protocol/checktype lines, with request/receive for the
 * negotiated ones. Every address is an IPv4 literal from 198.18.0.0/15, so loading needs no name resolution.
 * Deterministic: the same size always gives the same text.
 */
final class GeneratedLdirectordCf {

    private static final String[] SCHEDULERS = {"rr", "wrr", "lc", "wlc"};

    private GeneratedLdirectordCf() {
    }

    static String text(int services) {
        StringBuilder out = new StringBuilder(services * 420 + 512);
        out.append("""
                # Global Directives
                # generated for the lbd config-parse benchmark
                checktimeout=3
                checkinterval=5
                #fallback=127.0.0.1:80
                autoreload=no
                #logfile="/var/log/ldirectord.log"
                logfile="local0"
                quiescent=yes

                """);
        for (int i = 0; i < services; i++) {
            appendService(out, i);
        }
        return out.toString();
    }

    private static void appendService(StringBuilder out, int i) {
        // VIPs 198.18.0.1 .. : one per service; ports vary with the kind of service.
        String vip = "198.18." + (i / 250) + "." + (i % 250 + 1);
        int kind = i % 4;
        int port = switch (kind) {
            case 0 -> 80;
            case 1 -> 443;
            case 2 -> 8080 + i % 16;
            default -> 25;
        };
        boolean gate = i % 3 != 0;
        int reals = 2 + i % 3;
        out.append("# Virtual Server ").append(i).append(kind == 1 ? " (HTTPS)" : kind == 3 ? " (SMTP)" : " (HTTP)")
                .append('\n');
        out.append("virtual=").append(vip).append(':').append(port).append('\n');
        for (int r = 0; r < reals; r++) {
            // Real servers 198.19.x.y: each service its own block of four addresses.
            int host = i * 4 + r;
            out.append("\treal=198.19.").append(host / 250).append('.').append(host % 250 + 1).append(':')
                    .append(port).append(gate ? " gate" : " masq");
            if (i % 2 == 0) {
                out.append(' ').append(1 + (i + r) % 5);
            }
            out.append('\n');
        }
        if (i % 5 == 0) {
            out.append("\t#real=198.19.255.250:").append(port).append(" gate 0\n");
        }
        switch (kind) {
            case 0, 2 -> out.append("""
                    \tservice=http
                    \tcheckport=%d
                    \trequest="lbcheck.html"
                    \treceive="found"
                    \tchecktype=negotiate
                    """.formatted(port));
            case 1 -> out.append("""
                    \tservice=https
                    \trequest="/health"
                    \treceive="OK"
                    \tchecktype=negotiate
                    """);
            default -> out.append("""
                    \tservice=simpletcp
                    \tchecktype=connect
                    """);
        }
        out.append("\tscheduler=").append(SCHEDULERS[i % SCHEDULERS.length]).append('\n');
        out.append("\tprotocol=tcp\n");
        if (i % 7 == 0) {
            out.append("\t#persistent=600\n");
        }
        out.append('\n');
    }
}
