package lbd.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import lbd.config.model.DaemonStatus;
import lbd.config.model.EmailAlert;
import lbd.config.model.ForwardingMethod;

/**
 * The directives that may be given globally, as defaults, or per virtual service, as overrides; each field is
 * null when the scope does not set it. {@link #over} merges a service's values over the global ones.
 */
record ServiceDefaults(
        Integer checkTimeout,
        Integer negotiateTimeout,
        Integer connectTimeout,
        Integer checkInterval,
        Integer failureCount,
        Boolean quiescent,
        Fallback fallback,
        Fallback fallback6,
        String fallbackCommand,
        Integer checkCount,
        List<String> emailAlert,
        Integer emailAlertFreq,
        Set<DaemonStatus> emailAlertStatus,
        EmailAlert.Relay smtp) {

    /** A fallback= value; {@code address.port()} is -1 when the port is to be the virtual service's. */
    record Fallback(AddressParser.HostPort address, ForwardingMethod forwarding, SourceLine line) {
    }

    /** ldirectord's smtp= (a host name or address), with lbd's optional :PORT. */
    private static final Pattern SMTP = Pattern.compile("([0-9A-Za-z._+-]+)(?::([0-9]{1,5}))?");

    static ServiceDefaults read(Block block, ValueReader r) {
        r.read(block, Directive.CLEANSTOP, Values::yesNo);
        return new ServiceDefaults(
                r.read(block, Directive.CHECKTIMEOUT, Values::seconds),
                r.read(block, Directive.NEGOTIATETIMEOUT, Values::seconds),
                r.read(block, Directive.CONNECTTIMEOUT, Values::seconds),
                r.read(block, Directive.CHECKINTERVAL, Values::seconds),
                r.read(block, Directive.FAILURECOUNT, v -> Values.integer(v, 1, 1000, "a count")),
                r.read(block, Directive.QUIESCENT, Values::yesNo),
                fallback(block, Directive.FALLBACK, r),
                fallback(block, Directive.FALLBACK6, r),
                r.read(block, Directive.FALLBACKCOMMAND, v -> Values.text(v, "fallbackcommand=\"/usr/local/bin/sorry\"")),
                r.read(block, Directive.CHECKCOUNT, v -> Values.integer(v, 1, 1000, "a count")),
                r.read(block, Directive.EMAILALERT, ServiceDefaults::recipients),
                r.read(block, Directive.EMAILALERTFREQ, v -> Values.integer(v, 0, Integer.MAX_VALUE, "a number of seconds")),
                r.read(block, Directive.EMAILALERTSTATUS, ServiceDefaults::alertStatus),
                r.read(block, Directive.SMTP, ServiceDefaults::smtp));
    }

    /** This scope's values where set, {@code global}'s otherwise. */
    ServiceDefaults over(ServiceDefaults global) {
        return new ServiceDefaults(
                first(checkTimeout, global.checkTimeout), first(negotiateTimeout, global.negotiateTimeout),
                first(connectTimeout, global.connectTimeout), first(checkInterval, global.checkInterval),
                first(failureCount, global.failureCount), first(quiescent, global.quiescent),
                first(fallback, global.fallback), first(fallback6, global.fallback6),
                first(fallbackCommand, global.fallbackCommand), first(checkCount, global.checkCount),
                first(emailAlert, global.emailAlert), first(emailAlertFreq, global.emailAlertFreq),
                first(emailAlertStatus, global.emailAlertStatus), first(smtp, global.smtp));
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }

    private static Fallback fallback(Block block, Directive d, ValueReader r) {
        SourceLine line = block.get(d);
        if (line == null) {
            return null;
        }
        return r.read(line, value -> {
            String[] parts = Values.unquote(value).trim().split("\\s+");
            if (parts.length > 2) {
                throw new BadValue("expected ADDRESS[:PORT] [gate|masq|ipip], e.g. fallback=127.0.0.1:80 gate");
            }
            AddressParser.HostPort address = AddressParser.parse(parts[0], d == Directive.FALLBACK6, false, r.resolver);
            ForwardingMethod method = ForwardingMethod.GATE; // ldirectord's default for a fallback
            if (parts.length == 2) {
                method = switch (parts[1]) {
                    case "gate" -> ForwardingMethod.GATE;
                    case "masq" -> ForwardingMethod.MASQ;
                    case "ipip" -> ForwardingMethod.IPIP;
                    default -> throw new BadValue("forwarding method " + Excerpt.quoted(parts[1]) + " is not gate, masq or ipip");
                };
            }
            return new Fallback(address, method, line);
        });
    }

    /**
     * emailalertstatus: ldirectord's comma-separated all, none, starting, running, stopping, reloading; none alone
     * means no mail at all.
     */
    private static Set<DaemonStatus> alertStatus(String value) {
        String v = Values.unquote(value);
        String[] words = v.split("\\s*,\\s*", -1);
        Set<DaemonStatus> statuses = EnumSet.noneOf(DaemonStatus.class);
        boolean none = false;
        for (String w : words) {
            String word = w.strip();
            switch (word) {
                case "none" -> none = true;
                case "all" -> statuses.addAll(EnumSet.allOf(DaemonStatus.class));
                case "starting" -> statuses.add(DaemonStatus.STARTING);
                case "running" -> statuses.add(DaemonStatus.RUNNING);
                case "stopping" -> statuses.add(DaemonStatus.STOPPING);
                case "reloading" -> statuses.add(DaemonStatus.RELOADING);
                default -> throw new BadValue(Excerpt.quoted(word) + " is not one of all, none, starting, running,"
                        + " stopping, reloading (comma separated)");
            }
        }
        if (none && !statuses.isEmpty()) {
            throw new BadValue("none cannot be combined with other statuses; write none alone");
        }
        return statuses;
    }

    /** emailalert: one address or several, comma-separated. */
    private static List<String> recipients(String value) {
        String v = Values.text(value, "emailalert=\"admin@example.com\"");
        List<String> addresses = new ArrayList<>();
        for (String a : v.split(",")) {
            String address = a.strip();
            if (address.isEmpty() || address.chars().anyMatch(Character::isWhitespace)) {
                throw new BadValue(Excerpt.quoted(address) + " is not a mail address; write"
                        + " emailalert=\"admin@example.com\" (several: comma-separated)");
            }
            addresses.add(address);
        }
        return List.copyOf(addresses);
    }

    private static EmailAlert.Relay smtp(String value) {
        String v = Values.text(value, "smtp=mail.example.com");
        var m = SMTP.matcher(v);
        if (!m.matches()) {
            throw new BadValue(Excerpt.quoted(v) + " is not a mail relay; write smtp=HOST or smtp=HOST:PORT, e.g."
                    + " smtp=mail.example.com");
        }
        int port = m.group(2) == null ? 25 : Values.integer(m.group(2), 1, 65535, "a port");
        return new EmailAlert.Relay(m.group(1), port);
    }
}
