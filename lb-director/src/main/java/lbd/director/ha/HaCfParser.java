package lbd.director.ha;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads heartbeat's ha.cf as written in the field: whitespace-separated {@code directive value...} lines,
 * {@code #} comments, times in heartbeat's syntax, and order that matters ({@code udpport} applies to the
 * {@code bcast}/{@code ucast} lines after it). Directives that only tune heartbeat itself (logging, crm off...)
 * are accepted; ones lbd cannot honour are accepted with a warning; unknown ones are refused, as heartbeat
 * refuses them.
 */
public final class HaCfParser {

    static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(2);
    static final Duration DEFAULT_DEADTIME = Duration.ofSeconds(30);

    /** heartbeat's own knobs that mean nothing to lbd: logging goes through lbd's logger. */
    private static final Set<String> IGNORED = Set.of("logfile", "logfacility", "debugfile", "debug", "use_logd",
            "coredumps", "realtime", "rtprio", "uuidfrom", "hbgenmethod", "msgfmt", "conn_logd_time", "compression",
            "compression_threshold", "traditional_compression", "max_rexmit_delay", "hopfudge", "apiauth",
            "autojoin", "memreserve", "syslogmsgfmt", "enable_config_writes", "record_config_changes",
            "record_pengine_inputs");

    /** heartbeat features lbd does not have: accepted so the file still loads, with a warning. */
    private static final Set<String> UNSUPPORTED = Set.of("serial", "baud", "ping", "ping_group", "deadping",
            "respawn", "watchdog", "stonith", "stonith_host", "ucast6", "mcast6", "bcast6", "ttl", "node_weight");

    private HaCfParser() {
    }

    /**
     * Parses {@code text} (read from {@code file}, used in messages). Warnings about accepted-but-ignored
     * directives are added to {@code warnings}; errors are thrown together.
     */
    public static HaCf parse(String file, String text, List<String> warnings) {
        List<String> errors = new ArrayList<>();
        Duration keepalive = DEFAULT_KEEPALIVE;
        Duration deadtime = DEFAULT_DEADTIME;
        Duration warntime = null;
        Duration initdead = null;
        int udpport = HaCf.DEFAULT_UDP_PORT;
        Boolean autoFailback = null;
        boolean autoFailbackWritten = false;
        List<HeartbeatMedium> media = new ArrayList<>();
        List<String> nodes = new ArrayList<>();

        for (HeartbeatLines.Line line : HeartbeatLines.of(file, text)) {
            String where = line.where();
            String[] words = line.content().split("\\s+");
            String directive = words[0].toLowerCase(Locale.ROOT);
            List<String> args = List.of(words).subList(1, words.length);
            try {
                switch (directive) {
                    case "keepalive" -> keepalive = time(args, directive);
                    case "deadtime" -> deadtime = time(args, directive);
                    case "warntime" -> warntime = time(args, directive);
                    case "initdead" -> initdead = time(args, directive);
                    case "udpport" -> udpport = port(one(args, directive), directive);
                    case "bcast" -> {
                        atLeastOne(args, directive, "an interface name, e.g. bcast eth0");
                        for (String ifname : args) {
                            media.add(new HeartbeatMedium.Broadcast(ifname, udpport));
                        }
                    }
                    case "ucast" -> {
                        if (args.size() != 2) {
                            throw new IllegalArgumentException("ucast takes an interface and the peer's address, e.g. ucast eth0 10.8.8.47");
                        }
                        media.add(new HeartbeatMedium.Unicast(args.get(0), address(args.get(1), directive), udpport));
                    }
                    case "mcast" -> media.add(multicast(args));
                    case "auto_failback" -> {
                        autoFailbackWritten = true;
                        autoFailback = autoFailback(one(args, directive));
                    }
                    case "node" -> {
                        atLeastOne(args, directive, "the node names as uname -n prints them");
                        for (String n : args) {
                            if (nodes.contains(n)) {
                                throw new IllegalArgumentException("node " + n + " is listed twice");
                            }
                            nodes.add(n);
                        }
                    }
                    case "crm", "pacemaker" -> {
                        String v = one(args, directive).toLowerCase(Locale.ROOT);
                        if (!v.equals("off") && !v.equals("no") && !v.equals("false")) {
                            throw new IllegalArgumentException(directive + " " + v + " asks for the Pacemaker cluster manager;"
                                    + " lbd moves the haresources resources itself: write crm off");
                        }
                    }
                    default -> {
                        if (UNSUPPORTED.contains(directive)) {
                            warnings.add(where + directive + " is a heartbeat feature lbd does not have; ignored");
                        } else if (!IGNORED.contains(directive)) {
                            throw new IllegalArgumentException("unknown directive '" + words[0]
                                    + "' (heartbeat would refuse it too; see man ha.cf)");
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                errors.add(where + e.getMessage());
            }
        }

        String whole = file + ": ";
        if (nodes.isEmpty()) {
            errors.add(whole + "no node lines: list both directors, e.g. node lvs-ldir01 and node lvs-ldir02 (names as uname -n prints them)");
        } else if (nodes.size() != 2) {
            errors.add(whole + "lbd pairs exactly two directors, but node lines name " + nodes.size() + ": " + String.join(", ", nodes));
        }
        if (media.isEmpty()) {
            errors.add(whole + "no heartbeat path: add bcast IF, ucast IF PEER-IP or mcast IF GROUP PORT TTL LOOP");
        }
        if (!autoFailbackWritten) {
            errors.add(whole + "auto_failback is not set: write auto_failback on or auto_failback off (heartbeat requires it too)");
        }
        if (deadtime.compareTo(keepalive) <= 0) {
            errors.add(whole + "deadtime (" + HeartbeatTime.format(deadtime) + ") must be longer than keepalive ("
                    + HeartbeatTime.format(keepalive) + "); at least twice as long is usual");
        } else if (deadtime.compareTo(keepalive.multipliedBy(2)) < 0) {
            warnings.add(whole + "deadtime is less than two keepalives: one lost heartbeat will trigger a takeover");
        }
        for (HeartbeatMedium m : media) {
            if (m.port() != udpport) {
                errors.add(whole + m.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + m.interfaceName()
                        + " uses port " + m.port() + " but udpport is " + udpport
                        + "; lbd listens on one port: put udpport before the bcast/ucast lines and give mcast the same port");
            }
        }
        if (!errors.isEmpty()) {
            throw new HaConfigException(errors);
        }
        if (warntime == null) {
            warntime = deadtime.dividedBy(2).compareTo(keepalive) > 0 ? deadtime.dividedBy(2) : keepalive;
        }
        if (initdead == null) {
            initdead = deadtime;
        }
        if (initdead.compareTo(deadtime) < 0) {
            warnings.add(whole + "initdead is shorter than deadtime; using deadtime (" + HeartbeatTime.format(deadtime) + ")");
            initdead = deadtime;
        }
        return new HaCf(keepalive, deadtime, warntime, initdead, udpport, media, autoFailback, nodes);
    }

    private static Duration time(List<String> args, String directive) {
        String v = one(args, directive);
        try {
            return HeartbeatTime.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(directive + ": " + e.getMessage());
        }
    }

    private static String one(List<String> args, String directive) {
        if (args.size() != 1) {
            throw new IllegalArgumentException(directive + " takes exactly one value");
        }
        return args.getFirst();
    }

    private static void atLeastOne(List<String> args, String directive, String what) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException(directive + " needs " + what);
        }
    }

    private static int port(String v, String directive) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw new IllegalArgumentException(directive + ": '" + v + "' is not a UDP port (1-65535)");
    }

    private static InetAddress address(String v, String directive) {
        try {
            return InetAddress.ofLiteral(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(directive + ": '" + v + "' is not an IP address (lbd does not resolve names here)");
        }
    }

    private static HeartbeatMedium multicast(List<String> args) {
        if (args.size() != 5) {
            throw new IllegalArgumentException("mcast takes five values: mcast IF GROUP PORT TTL LOOP, e.g. mcast eth0 239.0.0.1 694 1 0");
        }
        InetAddress group = address(args.get(1), "mcast");
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException("mcast: " + args.get(1) + " is not a multicast group (224.0.0.0-239.255.255.255)");
        }
        int port = port(args.get(2), "mcast");
        int ttl;
        try {
            ttl = Integer.parseInt(args.get(3));
        } catch (NumberFormatException e) {
            ttl = -1;
        }
        if (ttl < 1 || ttl > 255) {
            throw new IllegalArgumentException("mcast: ttl '" + args.get(3) + "' must be 1-255");
        }
        boolean loop = switch (args.get(4)) {
            case "0" -> false;
            case "1" -> true;
            default -> throw new IllegalArgumentException("mcast: loop '" + args.get(4) + "' must be 0 or 1");
        };
        return new HeartbeatMedium.Multicast(args.get(0), group, port, ttl, loop);
    }

    private static boolean autoFailback(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "y", "1", "legacy" -> true;
            case "off", "false", "no", "n", "0" -> false;
            default -> throw new IllegalArgumentException("auto_failback '" + v + "' must be on or off");
        };
    }
}
