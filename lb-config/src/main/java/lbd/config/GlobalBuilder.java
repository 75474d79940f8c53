package lbd.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import lbd.config.model.Endpoint;
import lbd.config.model.GlobalSettings;
import lbd.config.model.LogFormat;
import lbd.config.model.LogLevel;
import lbd.config.model.Transport;

/** Builds {@link GlobalSettings} from the global section, with ldirectord's defaults and lbd's extensions. */
final class GlobalBuilder {

    /** Linux interface names: at most 15 bytes, no '/', no blanks (IFNAMSIZ - 1). */
    private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");

    private GlobalBuilder() {
    }

    static GlobalSettings build(Block globals, ValueReader r) {
        boolean autoreload = orElse(r.read(globals, Directive.AUTORELOAD, Values::yesNo), false);
        Optional<String> logfile = Optional.ofNullable(
                r.read(globals, Directive.LOGFILE, v -> Values.text(v, "logfile=\"/var/log/ldirectord.log\" or logfile=\"local0\"")));
        Optional<String> callback = Optional.ofNullable(
                r.read(globals, Directive.CALLBACK, v -> Values.text(v, "callback=\"/usr/local/bin/sync-config\"")));
        Optional<Path> maintenanceDir = Optional.ofNullable(r.read(globals, Directive.MAINTENANCEDIR, GlobalBuilder::path));
        boolean cleanStop = orElse(r.read(globals, Directive.CLEANSTOP, Values::yesNo), true);
        SourceLine supervisedLine = globals.get(Directive.SUPERVISED);
        // A bare "supervised" means yes (ldirectord accepts it with a warning).
        boolean supervised = supervisedLine != null
                && (supervisedLine.bare() || orElse(r.read(supervisedLine, Values::yesNo), false));
        boolean fork = orElse(r.read(globals, Directive.FORK, Values::yesNo), false);
        r.read(globals, Directive.READDQUIESCENT, Values::yesNo);
        Optional<String> emailAlertFrom = Optional.ofNullable(
                r.read(globals, Directive.EMAILALERTFROM, v -> Values.text(v, "emailalertfrom=lbd@example.com")));
        Optional<String> emailAlert = Optional.ofNullable(
                r.read(globals, Directive.EMAILALERT, v -> Values.text(v, "emailalert=\"admin@example.com\"")));
        Transport transport = orElse(r.read(globals, Directive.TRANSPORT, GlobalBuilder::transport), Transport.AUTO);
        int eventLoops = orElse(r.read(globals, Directive.EVENTLOOPS, v -> Values.integer(v, 0, 1024,
                "a number of event loops (0 = one per core)")), 0);
        int maxConnections = orElse(r.read(globals, Directive.MAXCONN, v -> Values.integer(v, 1, 100_000_000,
                "a number of connections")), 0);
        Optional<Path> controlSocket = Optional.ofNullable(r.read(globals, Directive.CONTROLSOCKET, GlobalBuilder::path));
        Optional<Endpoint> metrics = Optional.ofNullable(r.read(globals, Directive.METRICS, v -> metrics(v, r.resolver)));
        if (metrics.isPresent() && metrics.get().address().isAnyLocalAddress()) {
            r.problems.warn(globals.get(Directive.METRICS).number(), "metrics=" + metrics.get() + " serves the metrics"
                    + " and the status page on every interface of this host, to anyone who reaches it (the endpoint"
                    + " is read-only, without authentication); give a loopback or management address instead");
        }
        List<String> networkInterfaces = orElse(r.read(globals, Directive.INTERFACE, GlobalBuilder::interfaces),
                List.of());
        LogLevel logLevel = orElse(r.read(globals, Directive.LOGLEVEL, GlobalBuilder::logLevel), LogLevel.INFO);
        LogFormat logFormat = orElse(r.read(globals, Directive.LOGFORMAT, GlobalBuilder::logFormat), LogFormat.TEXT);
        boolean sloppyTcp = orElse(r.read(globals, Directive.SLOPPYTCP, Values::yesNo), false);
        boolean warmUp = orElse(r.read(globals, Directive.WARMUP, Values::yesNo), true);
        boolean xdp = orElse(r.read(globals, Directive.XDP, Values::yesNo), false);
        return new GlobalSettings(autoreload, logfile, callback, maintenanceDir, cleanStop, supervised, fork,
                emailAlert, transport, eventLoops, maxConnections, controlSocket, metrics, networkInterfaces,
                emailAlertFrom, logLevel, logFormat, sloppyTcp, warmUp, xdp);
    }

    /** interface=eth0 or interface=eth0,eth1.10,bond0 (commas or blanks between the names). */
    private static List<String> interfaces(String value) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : Values.unquote(value).split("[,\\s]+")) {
            if (name.isEmpty()) {
                continue;
            }
            if (!INTERFACE.matcher(name).matches()) {
                throw new BadValue(Excerpt.quoted(name) + " is not a network interface name (1-15"
                        + " characters, no '/' or blanks, e.g. eth0; several: interface=eth0,eth1)");
            }
            if (!names.add(name)) {
                throw new BadValue(Excerpt.quoted(name) + " is listed twice");
            }
        }
        if (names.isEmpty()) {
            throw new BadValue("no interface named; write interface=eth0 (or interface=eth0,eth1), or leave"
                    + " interface= out to receive on every interface");
        }
        return List.copyOf(names);
    }

    private static Transport transport(String value) {
        return switch (Values.unquote(value)) {
            case "auto" -> Transport.AUTO;
            case "io_uring" -> Transport.IO_URING;
            case "epoll" -> Transport.EPOLL;
            case "nio" -> Transport.NIO;
            default -> throw new BadValue(Excerpt.quoted(value) + " is not auto, io_uring, epoll or nio");
        };
    }

    private static LogLevel logLevel(String value) {
        return switch (Values.unquote(value)) {
            case "error" -> LogLevel.ERROR;
            case "warn", "warning" -> LogLevel.WARN;
            case "info" -> LogLevel.INFO;
            case "debug" -> LogLevel.DEBUG;
            default -> throw new BadValue(Excerpt.quoted(value) + " is not error, warn, info or debug");
        };
    }

    private static LogFormat logFormat(String value) {
        return switch (Values.unquote(value)) {
            case "text" -> LogFormat.TEXT;
            case "json" -> LogFormat.JSON;
            default -> throw new BadValue(Excerpt.quoted(value) + " is not text or json");
        };
    }

    private static Path path(String value) {
        String p = Values.text(value, "/var/lib/lbd");
        if (!p.startsWith("/")) {
            throw new BadValue(Excerpt.quoted(p) + " is not an absolute path; write it from /");
        }
        try {
            return Path.of(p);
        } catch (InvalidPathException e) {
            throw new BadValue(Excerpt.quoted(p) + " is not a valid path");
        }
    }

    private static Endpoint metrics(String value, NameResolver resolver) {
        AddressParser.HostPort hp = AddressParser.parse(Values.unquote(value), false, false, resolver);
        if (hp.port() < 0) {
            throw new BadValue("no port; expected HOST:PORT, e.g. metrics=127.0.0.1:9100");
        }
        return new Endpoint(hp.first(), hp.port());
    }

    private static <T> T orElse(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
