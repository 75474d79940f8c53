package lbd.bench.latency;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Command line of the fixed-rate HTTP load ({@link FixedRateLoad}): latency corrected for coordinated omission, for
 * benchmarks/peers/compare.sh's {@code latency} workload. Prints one human line and one machine-readable
 * {@code LBDPEER key=value ...} line, the same form as the wrk runs of compare.sh (peerstat.py wrk parses both).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar lbd.bench.latency.FixedRateClient \
 *     --mode keepalive|connclose --port 18082 --rate 20000 [--duration 5] [--warmup 2] [--connections 32]
 *     [--host 127.0.0.1] [--path /small.txt] [--timeout 2]
 * </pre>
 */
public final class FixedRateClient {

    private static final String USAGE = """
            Usage: FixedRateClient --mode keepalive|connclose --port P --rate R [options]
              --mode M         keepalive: C persistent connections, each due request on a free one;
                               connclose: a new TCP connection per request (Connection: close), at most C open
              --rate R         requests per second, spread evenly (request k is due at k/R s)
              --port P         target port (on --host, default 127.0.0.1)
              --path P         request path (default /small.txt)
              --duration S     measured seconds (default 5)
              --warmup S       seconds sent first and not recorded (default 2)
              --connections C  keepalive: connections (default 32); connclose: most open at once (default 1000)
              --timeout S      a request not complete S seconds after its intended time is an error (default 2);
                               the run ends at warm-up + duration + timeout at the latest
            Latency runs from each request's intended time to the last byte of its response.""";

    private FixedRateClient() {}

    public static void main(String[] args) {
        FixedRateLoad.Settings settings;
        try {
            settings = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("FixedRateClient: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        FixedRateLoad.Result result;
        try {
            result = new FixedRateLoad(settings).run();
        } catch (IOException e) {
            System.err.println("FixedRateClient: cannot load " + settings.target().getHostString() + ":"
                    + settings.target().getPort() + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(humanLine(settings, result));
        System.out.println(machineLine(settings, result));
    }

    static FixedRateLoad.Settings parse(String[] args) {
        String mode = null;
        String host = "127.0.0.1";
        String path = "/small.txt";
        int port = -1;
        long rate = -1;
        double duration = 5;
        double warmup = 2;
        double timeout = 2;
        int connections = -1;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("-h") || option.equals("--help")) {
                throw new IllegalArgumentException("help");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            try {
                switch (option) {
                    case "--mode" -> mode = value;
                    case "--host" -> host = value;
                    case "--path" -> path = value;
                    case "--port" -> port = Integer.parseInt(value);
                    case "--rate" -> rate = Long.parseLong(value);
                    case "--duration" -> duration = Double.parseDouble(value);
                    case "--warmup" -> warmup = Double.parseDouble(value);
                    case "--timeout" -> timeout = Double.parseDouble(value);
                    case "--connections" -> connections = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown option '" + option + "'");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be a number, got '" + value + "'");
            }
        }
        FixedRateLoad.Mode m = switch (mode == null ? "" : mode) {
            case "keepalive" -> FixedRateLoad.Mode.KEEPALIVE;
            case "connclose" -> FixedRateLoad.Mode.CONNCLOSE;
            default -> throw new IllegalArgumentException("--mode must be keepalive or connclose");
        };
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be within 1..65535");
        }
        if (rate <= 0) {
            throw new IllegalArgumentException("--rate must be a positive number of requests per second");
        }
        if (!(duration > 0) || !(warmup >= 0) || !(timeout > 0)) {
            throw new IllegalArgumentException("--duration and --timeout must be positive, --warmup not negative");
        }
        if (connections < 0) {
            connections = m == FixedRateLoad.Mode.KEEPALIVE ? 32 : 1000;
        } else if (connections == 0) {
            throw new IllegalArgumentException("--connections must be positive");
        }
        return new FixedRateLoad.Settings(m, new InetSocketAddress(host, port), path, rate, seconds(warmup),
                seconds(duration), connections, seconds(timeout));
    }

    static String humanLine(FixedRateLoad.Settings s, FixedRateLoad.Result r) {
        Histogram h = r.latencyNanos();
        return String.format(Locale.ROOT,
                "%s %s:%d at %d/s: achieved %.1f/s, %d ok, %d errors%s (warm-up: %d), %d reconnects;"
                        + " latency from intended time, ms: p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f;"
                        + " longest stall of the client itself %.3f ms",
                s.mode().name().toLowerCase(Locale.ROOT), s.target().getHostString(), s.target().getPort(),
                s.ratePerSecond(), r.achievedPerSecond(), r.completed(), r.errors(), humanErrorKinds(r),
                r.warmupErrors(), r.reconnects(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9),
                h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e6, r.clientStallMaxNanos() / 1e6);
    }

    /** The form of benchmarks/peers/report.lua's line, plus what only an open-loop run has. */
    static String machineLine(FixedRateLoad.Settings s, FixedRateLoad.Result r) {
        Histogram h = r.latencyNanos();
        return String.format(Locale.ROOT,
                "LBDPEER requests=%d duration_us=%d bytes=%d errors=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f"
                        + " p999_us=%.1f max_us=%.1f rate=%d achieved_per_s=%.1f reconnects=%d client_stall_max_us=%.1f%s",
                r.completed(), TimeUnit.NANOSECONDS.toMicros(s.durationNanos()), r.bytes(), r.errors(),
                us(h, 50), us(h, 90), us(h, 99), us(h, 99.9),
                h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e3, s.ratePerSecond(), r.achievedPerSecond(),
                r.reconnects(), r.clientStallMaxNanos() / 1e3, machineErrorKinds(r))
                .replace("NaN", "nan"); // as the shell side spells a missing value
    }

    /** The non-zero error counts by kind: {@code " (timeout 3, closed 1)"} for people, or "" when there are none. */
    private static String humanErrorKinds(FixedRateLoad.Result r) {
        StringBuilder sb = new StringBuilder();
        for (FixedRateLoad.ErrorKind kind : FixedRateLoad.ErrorKind.values()) {
            long n = r.errorsByKind()[kind.ordinal()];
            if (n > 0) {
                sb.append(sb.isEmpty() ? " (" : ", ").append(kind.name().toLowerCase(Locale.ROOT)).append(' ').append(n);
            }
        }
        return sb.isEmpty() ? "" : sb.append(')').toString();
    }

    /** The same as {@code " errors_timeout=3 errors_closed=1"} for the machine-readable line. */
    private static String machineErrorKinds(FixedRateLoad.Result r) {
        StringBuilder sb = new StringBuilder();
        for (FixedRateLoad.ErrorKind kind : FixedRateLoad.ErrorKind.values()) {
            long n = r.errorsByKind()[kind.ordinal()];
            if (n > 0) {
                sb.append(" errors_").append(kind.name().toLowerCase(Locale.ROOT)).append('=').append(n);
            }
        }
        return sb.toString();
    }

    private static double ms(Histogram h, double percentile) {
        return us(h, percentile) / 1e3;
    }

    private static double us(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e3;
    }

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }
}
