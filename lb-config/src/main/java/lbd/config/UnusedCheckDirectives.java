package lbd.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import lbd.config.model.CheckType;
import lbd.config.model.Protocol;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualService;

/**
 * Warns, on its line, about each check directive of a virtual service that the service's check never reads —
 * {@code receive=} on an smtp check, {@code login=} on a connect check, {@code checkport=} on a ping — so that
 * nothing accepted is silently ignored. Which check reads which directive is ldirectord's (its {@code check_*}
 * subroutines in /usr/sbin/ldirectord; lbd's checks read the same): ldirectord too accepts such a line and does
 * nothing with it. Also the fallback directives where the check type never lets the fallback come in. Global lines
 * are defaults for every service and are not warned about. With a maintenancedir, checktype=on runs a check too:
 * ldirectord's check loop looks at the directory before the check type, every checkinterval, and writes
 * "Server in maintenance" to the monitorfile.
 */
final class UnusedCheckDirectives {

    /** The directives that only a check reads, each warned about in a block whose check does not. */
    private static final Set<Directive> CHECK_DIRECTIVES = EnumSet.of(Directive.SERVICE, Directive.REQUEST,
            Directive.RECEIVE, Directive.HTTPMETHOD, Directive.VIRTUALHOST, Directive.LOGIN, Directive.PASSWD,
            Directive.DATABASE, Directive.SECRET, Directive.CHECKPORT, Directive.CHECKCOMMAND, Directive.CHECKCOUNT);
    /**
     * Read by every check that runs, so by none with checktype=off, nor with checktype=on without a maintenancedir:
     * its schedule, bounds, and the monitor file each check result is written to.
     */
    private static final Set<Directive> RUNNING_CHECK_DIRECTIVES = EnumSet.of(Directive.CHECKINTERVAL,
            Directive.CHECKTIMEOUT, Directive.CONNECTTIMEOUT, Directive.NEGOTIATETIMEOUT, Directive.FAILURECOUNT,
            Directive.MONITORFILE);
    /** Read by checktype=on's look at the maintenancedir: how often it looks, and where it logs what it found. */
    private static final Set<Directive> MAINTENANCE_LOOK_DIRECTIVES = EnumSet.of(Directive.CHECKINTERVAL,
            Directive.MONITORFILE);

    private UnusedCheckDirectives() {
    }

    /**
     * Warns about the lines of {@code block} its check does not read. {@code connects} is checktype=N's N;
     * {@code realLines} are the block's real= lines with a request or receive of their own; {@code maintenanceDir}
     * whether the configuration has a maintenancedir.
     */
    static void warn(Block block, CheckType type, int connects, ServiceType service, Protocol protocol,
            boolean hasReals, List<RealOverride> realLines, boolean maintenanceDir, Problems problems) {
        Set<Directive> read = reads(type, service, protocol, maintenanceDir);
        String because = because(type, connects, service, protocol, read, maintenanceDir, "it");
        for (var e : block.settings.entrySet()) {
            Directive d = e.getKey();
            boolean checkOnly = CHECK_DIRECTIVES.contains(d)
                    || (RUNNING_CHECK_DIRECTIVES.contains(d) && (type == CheckType.ON || type == CheckType.OFF));
            if (checkOnly && !read.contains(d)) {
                problems.warn(e.getValue().number(), d.configName + " has no effect because " + because);
            }
        }
        warnFallback(block, type, hasReals, maintenanceDir, problems);
        for (RealOverride real : realLines) {
            List<String> unread = new ArrayList<>();
            if (real.request() && !read.contains(Directive.REQUEST)) {
                unread.add("request");
            }
            if (real.receive() && !read.contains(Directive.RECEIVE)) {
                unread.add("receive");
            }
            if (!unread.isEmpty()) {
                problems.warn(real.line(), "the " + String.join(" and ", unread) + " of this real= line "
                        + (unread.size() == 1 ? "has" : "have") + " no effect because "
                        + because(type, connects, service, protocol, read, maintenanceDir,
                        unread.size() == 1 ? "it" : "them"));
            }
        }
    }

    /**
     * The fallback comes in when every real server is down: never with checktype=off ("no real or fallback servers
     * will be activated", man ldirectord), nor with checktype=on while the service has a real server (always up,
     * unless a maintenancedir can take them all out).
     */
    private static void warnFallback(Block block, CheckType type, boolean hasReals, boolean maintenanceDir,
            Problems problems) {
        String because = switch (type) {
            case OFF -> "checktype=off activates no real or fallback server (as man ldirectord says)";
            case ON -> hasReals && !maintenanceDir
                    ? "checktype=on keeps every real server in service, so the fallback never comes in" : null;
            default -> null;
        };
        if (because == null) {
            return;
        }
        for (Directive d : List.of(Directive.FALLBACK, Directive.FALLBACK6, Directive.FALLBACKCOMMAND)) {
            SourceLine line = block.get(d);
            if (line != null) {
                problems.warn(line.number(), d.configName + " has no effect because " + because);
            }
        }
    }

    /** A real= line that carries its own request and/or receive. */
    record RealOverride(int line, boolean request, boolean receive) {
    }

    /** The directives the check of this type, service and protocol reads. */
    static Set<Directive> reads(CheckType type, ServiceType service, Protocol protocol, boolean maintenanceDir) {
        boolean udp = protocol == Protocol.UDP;
        Set<Directive> read = EnumSet.noneOf(Directive.class);
        switch (type) {
            // ldirectord checks a udp service's connect with a ping: there is no connection to make.
            case CONNECT -> read.addAll(udp ? pingReads() : EnumSet.of(Directive.CHECKPORT));
            case PING -> read.addAll(pingReads());
            case EXTERNAL, EXTERNAL_PERL -> read.add(Directive.CHECKCOMMAND);
            case NEGOTIATE -> read.addAll(negotiateReads(service));
            case COMBINED -> {
                // The connect half is a TCP connect (on udp it sends nothing and passes, as ldirectord's).
                if (!udp) {
                    read.add(Directive.CHECKPORT);
                }
                read.addAll(negotiateReads(service));
            }
            case ON -> {
                if (maintenanceDir) {
                    read.addAll(MAINTENANCE_LOOK_DIRECTIVES);
                }
                return read;
            }
            case OFF -> {
                return read;
            }
        }
        read.addAll(RUNNING_CHECK_DIRECTIVES);
        return read;
    }

    private static Set<Directive> pingReads() {
        return EnumSet.of(Directive.CHECKCOUNT);
    }

    /** What ldirectord's check_SERVICE reads (and lbd's check of that service). */
    private static Set<Directive> negotiateReads(ServiceType service) {
        Set<Directive> read = EnumSet.of(Directive.SERVICE, Directive.CHECKPORT);
        switch (service) {
            case HTTP, HTTPS -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.RECEIVE, Directive.HTTPMETHOD,
                    Directive.VIRTUALHOST));
            // Through a proxy the Host is the URL's: ldirectord sets no Host header for http_proxy.
            case HTTP_PROXY -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.RECEIVE, Directive.HTTPMETHOD));
            case FTP -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.RECEIVE, Directive.LOGIN,
                    Directive.PASSWD));
            case POP, POPS, IMAP, IMAPS -> read.addAll(EnumSet.of(Directive.LOGIN, Directive.PASSWD));
            case LDAP, LDAPS -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.RECEIVE, Directive.LOGIN,
                    Directive.PASSWD));
            // ldirectord's check_sql runs request and counts rows; it never reads receive.
            case MYSQL, PGSQL, ORACLE -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.LOGIN,
                    Directive.PASSWD, Directive.DATABASE));
            case SIMPLETCP, DNS -> read.addAll(EnumSet.of(Directive.REQUEST, Directive.RECEIVE));
            case RADIUS -> read.addAll(EnumSet.of(Directive.LOGIN, Directive.PASSWD, Directive.SECRET));
            case SIP -> read.add(Directive.LOGIN);
            case SMTP, SUBMISSION, NNTP -> {
                // the greeting (and smtp's EHLO) only
            }
            case NONE -> read.remove(Directive.CHECKPORT); // nothing is contacted
        }
        return read;
    }

    /** The reason, for the operator who set a directive the check does not read. */
    private static String because(CheckType type, int connects, ServiceType service, Protocol protocol,
            Set<Directive> read, boolean maintenanceDir, String pronoun) {
        String check = switch (type) {
            case ON -> "checktype=on";
            case OFF -> "checktype=off";
            case CONNECT -> protocol == Protocol.UDP ? "checktype=connect on a udp service (a ping)"
                    : "checktype=connect";
            case PING -> "checktype=ping";
            case EXTERNAL, EXTERNAL_PERL -> "checktype=external";
            case NEGOTIATE -> "service=" + service.configName();
            case COMBINED -> "checktype=" + connects + " with service=" + service.configName();
        };
        if (type == CheckType.ON && maintenanceDir) {
            return "checktype=on only looks at the maintenancedir, every checkinterval (as in ldirectord)";
        }
        if (type == CheckType.ON || type == CheckType.OFF) {
            return check + " runs no check (as in ldirectord)";
        }
        if (type == CheckType.NEGOTIATE && service == ServiceType.NONE) {
            return "service=none passes without contacting the server (as in ldirectord)";
        }
        List<String> names = new ArrayList<>();
        for (Directive d : read) {
            if (CHECK_DIRECTIVES.contains(d) && (d != Directive.SERVICE || type == CheckType.COMBINED)) {
                names.add(d.configName);
            }
        }
        return "the check of " + check + " does not read " + pronoun + " (of the check directives it reads only "
                + listed(names) + ", as ldirectord's)";
    }

    private static String listed(List<String> names) {
        return switch (names.size()) {
            case 0 -> "none";
            case 1 -> names.getFirst();
            default -> String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();
        };
    }
}
