package lbd.config;

import java.util.Set;
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
        String fallbackCommand) {

    /** A fallback= value; {@code address.port()} is -1 when the port is to be the virtual service's. */
    record Fallback(AddressParser.HostPort address, ForwardingMethod forwarding, SourceLine line) {
    }

    private static final Set<String> ALERT_STATES = Set.of("all", "none", "starting", "running", "stopping", "reloading");

    static ServiceDefaults read(Block block, ValueReader r) {
        // Accepted for compatibility, but still checked, so that a typo in them is caught now.
        r.read(block, Directive.CHECKCOUNT, v -> Values.integer(v, 1, 1000, "a count"));
        r.read(block, Directive.EMAILALERTFREQ, v -> Values.integer(v, 0, Integer.MAX_VALUE, "a number of seconds"));
        r.read(block, Directive.EMAILALERTSTATUS, ServiceDefaults::alertStatus);
        r.read(block, Directive.EMAILALERT, v -> Values.text(v, "emailalert=\"admin@example.com\""));
        r.read(block, Directive.SMTP, v -> Values.text(v, "smtp=mail.example.com"));
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
                r.read(block, Directive.FALLBACKCOMMAND, v -> Values.text(v, "fallbackcommand=\"/usr/local/bin/sorry\"")));
    }

    /** This scope's values where set, {@code global}'s otherwise. */
    ServiceDefaults over(ServiceDefaults global) {
        return new ServiceDefaults(
                first(checkTimeout, global.checkTimeout), first(negotiateTimeout, global.negotiateTimeout),
                first(connectTimeout, global.connectTimeout), first(checkInterval, global.checkInterval),
                first(failureCount, global.failureCount), first(quiescent, global.quiescent),
                first(fallback, global.fallback), first(fallback6, global.fallback6),
                first(fallbackCommand, global.fallbackCommand));
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
                    case "ipip" -> throw new BadValue("forwarding method ipip (tunnelling) is not supported yet;"
                            + " use gate or masq");
                    default -> throw new BadValue("forwarding method " + Excerpt.quoted(parts[1]) + " is not gate, masq or ipip");
                };
            }
            return new Fallback(address, method, line);
        });
    }

    private static String alertStatus(String value) {
        String v = Values.unquote(value);
        for (String s : v.split(",")) {
            if (!ALERT_STATES.contains(s.trim())) {
                throw new BadValue(Excerpt.quoted(s.trim()) + " is not one of all, none, starting, running, stopping,"
                        + " reloading (comma separated)");
            }
        }
        return v;
    }
}
