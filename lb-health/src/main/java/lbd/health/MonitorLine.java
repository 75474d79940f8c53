package lbd.health;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import lbd.config.model.CheckType;
import lbd.config.model.HealthCheck;
import lbd.config.model.RealServer;
import lbd.config.model.VirtualService;

/**
 * One real server's lines in its service's monitorfile, in ldirectord's format (service_set):
 * {@code [Sun Dec  6 02:45:17 2026] [PID] negotiate http tcp 10.0.0.2 80 1 masq /index.html OK [up] MESSAGE} —
 * the local time as Perl's {@code localtime} prints it, lbd's pid, ldirectord's id of the real server (check,
 * service, protocol, address, port, virtualhost, checkport, weight, forwarding, request, receive; runs of ':'
 * between them written as one blank), the state, and the check's message with '%', '|' and line breaks
 * percent-escaped. The message is lbd's reason for the verdict (ldirectord's messages differ per check).
 */
final class MonitorLine {

    private static final DateTimeFormatter PERL_LOCALTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy",
            Locale.ENGLISH);
    private static final long PID = ProcessHandle.current().pid();

    private final MonitorFile writer;
    private final boolean ping;
    private final boolean checktypeOn;
    /** What a reload that keeps the checker may change: the file (or none), and the id (the weight). */
    private volatile Target target;

    private record Target(Path file, String serverId) {
    }

    MonitorLine(VirtualService service, RealServer real, CheckSpec spec, MonitorFile writer) {
        this.writer = writer;
        this.ping = spec.check().type() == CheckType.PING;
        this.checktypeOn = spec.check().type() == CheckType.ON;
        update(service, real, spec);
    }

    private MonitorLine() {
        this.writer = null;
        this.ping = false;
        this.checktypeOn = false;
    }

    /** For a checker outside a monitor (tests): writes nothing. */
    static MonitorLine none() {
        return new MonitorLine();
    }

    /** Event thread: follows a reload that kept the server's checker. */
    void update(VirtualService service, RealServer real, CheckSpec spec) {
        target = service.reporting().monitorFile().map(f -> new Target(f, id(service, real, spec))).orElse(null);
    }

    /** One check's result; called by the thread that ran it. Nothing without a monitorfile. */
    void record(boolean up, String message) {
        Target t = target;
        if (t == null || (ping && !up) || (checktypeOn && up)) {
            // ldirectord's check_ping writes no line for a failed ping, and checktype=on sets its server up
            // without one (only "Server in maintenance" is written for it).
            return;
        }
        String line = "[" + LocalDateTime.now().format(PERL_LOCALTIME) + "] [" + PID + "] " + t.serverId() + " ["
                + (up ? "up" : "down") + "] " + escape(message) + "\n";
        writer.append(t.file(), line);
    }

    /** ldirectord's get_real_id_str, then {@code tr/:/ /s} and its backslashes removed. */
    static String id(VirtualService service, RealServer real, CheckSpec spec) {
        HealthCheck check = service.healthCheck();
        String type = switch (check.type()) {
            case NEGOTIATE -> "negotiate:" + check.service().configName();
            case COMBINED -> "combined:" + check.service().configName();
            case EXTERNAL -> "external:" + check.checkCommand().orElse("");
            case EXTERNAL_PERL -> "external-perl:" + check.checkCommand().orElse("");
            default -> check.type().name().toLowerCase(Locale.ROOT);
        };
        String request = spec.request().orElse("/");
        if (!request.startsWith("/")) {
            request = "/" + request; // ldirectord's parser prefixes it
        }
        String id = type + ":" + service.protocol().name().toLowerCase(Locale.ROOT) + ":"
                + real.address().hostAddress() + ":" + real.address().port() + ":"
                + check.virtualHost().orElse("") + ":" + check.checkPort().map(String::valueOf).orElse("") + ":"
                + real.weight() + ":" + real.forwarding().configName() + ":" + request + ":"
                + spec.receive().orElse("");
        return id.replaceAll(":+", " ").replace("\\", "");
    }

    /** ldirectord's {@code s/([%|\r\n])/sprintf("%%%.2x", ord($1))/eg}; an empty message is "-". */
    static String escape(String message) {
        if (message == null || message.isEmpty()) {
            return "-";
        }
        StringBuilder s = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '%', '|', '\r', '\n' -> s.append('%').append(String.format("%02x", (int) c));
                default -> s.append(c);
            }
        }
        return s.toString();
    }
}
