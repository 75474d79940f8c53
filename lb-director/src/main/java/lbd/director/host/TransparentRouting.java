package lbd.director.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.VirtualService;
import lbd.director.ha.IpCommand;

/**
 * What transparent=yes needs of the director's routing, read off the host when lbd starts or reloads. A connection
 * lbd opens to a real server from a client's address is answered to that address: the real server's default route
 * leads the reply to the director (which lbd cannot check from here), and there the kernel would forward it on
 * towards the client, as it does any packet for another host — unless it is delivered locally, to lbd's socket.
 * That takes three pieces, per address family of the transparent services' real servers:
 * <ol>
 * <li>a firewall rule that marks packets belonging to a transparent socket (nft {@code socket transparent 1 meta
 * mark set MARK}, or iptables {@code -m socket ... -j MARK}), for TCP and, with udp services, UDP;</li>
 * <li>a policy rule {@code ip rule add fwmark MARK lookup TABLE};</li>
 * <li>in that table, {@code local default dev lo}: every marked packet is for this host.</li>
 * </ol>
 * scripts/nat-director-setup.sh sets all three up. Each missing piece is one line naming it and the fix.
 */
public final class TransparentRouting {

    /** Runs a host tool; its output, or null when it could not be run or failed. */
    interface Probe {
        String run(String program, String... args);
    }

    /** {@code ip rule}'s {@code fwmark MARK[/MASK] lookup TABLE}. */
    record MarkRule(long mark, long mask, String table) {
        boolean matches(long packetMark) {
            return (packetMark & mask) == (mark & mask);
        }

        @Override
        public String toString() {
            return "fwmark 0x" + Long.toHexString(mark) + (mask == 0xffffffffL ? "" : "/0x" + Long.toHexString(mask))
                    + " lookup " + table;
        }
    }

    private static final Pattern RULE = Pattern.compile(
            "\\bfwmark (0x[0-9a-fA-F]+|\\d+)(?:/(0x[0-9a-fA-F]+|\\d+))? (?:lookup|table) (\\S+)");
    private static final Pattern TCP = Pattern.compile("\\btcp\\b");
    private static final Pattern UDP = Pattern.compile("\\budp\\b");
    private static final Pattern NOT = Pattern.compile("\\bnot\\b");
    private static final Pattern NFT_TABLE = Pattern.compile("^\\s*table (\\S+) (\\S+) \\{");
    private static final Pattern NFT_CHAIN = Pattern.compile("^\\s*chain (\\S+) \\{");
    private static final Pattern NFT_MARK = Pattern.compile("\\bmeta mark set (0x[0-9a-fA-F]+|\\d+)");
    private static final Pattern NFT_JUMP = Pattern.compile("\\b(?:jump|goto) (\\S+)");
    private static final Pattern IPT_RULE = Pattern.compile("^-A (\\S+) (.*)$");
    private static final Pattern IPT_MARK = Pattern.compile("-j MARK --set-x?mark (0x[0-9a-fA-F]+|\\d+)");
    private static final Pattern IPT_JUMP = Pattern.compile("-[jg] (\\S+)");
    private static final String SETUP = "run scripts/nat-director-setup.sh start";

    private TransparentRouting() {
    }

    /** The problems of {@code config}'s transparent=yes services on this host; empty when there are none. */
    public static List<String> problems(ClusterConfig config) {
        return problems(config, (program, args) -> {
            IpCommand.Result r = IpCommand.program(program, program.equals("nft") ? "nftables" : "iptables", args);
            return r.ok() ? r.output() : null;
        });
    }

    static List<String> problems(ClusterConfig config, Probe probe) {
        Need v4 = new Need();
        Need v6 = new Need();
        for (VirtualService vs : config.virtualServices()) {
            if (!vs.nat().transparent()) {
                continue;
            }
            for (RealServer rs : vs.realServers()) {
                (rs.address().isIpv4() ? v4 : v6).add(vs);
            }
        }
        List<String> problems = new ArrayList<>();
        if (!v4.services.isEmpty()) {
            problems.addAll(familyProblems(v4, false, probe));
        }
        if (!v6.services.isEmpty()) {
            problems.addAll(familyProblems(v6, true, probe));
        }
        return problems;
    }

    /** One address family's transparent services, and the protocols whose replies must be marked. */
    private static final class Need {
        final List<String> services = new ArrayList<>();
        final Set<String> protocols = new java.util.TreeSet<>();

        void add(VirtualService vs) {
            if (!services.contains(vs.key().toString())) {
                services.add(vs.key().toString());
            }
            protocols.add(vs.protocol() == Protocol.UDP ? "udp" : "tcp");
        }
    }

    private static List<String> familyProblems(Need need, boolean ipv6, Probe probe) {
        String f = ipv6 ? "-6" : "-4";
        String family = ipv6 ? "IPv6" : "IPv4";
        String any = ipv6 ? "::/0" : "0.0.0.0/0";
        String who = "transparent=yes (" + String.join(", ", need.services) + "): ";
        List<MarkRule> rules = markRules(orEmpty(probe.run("ip", f, "rule", "show")));
        if (rules.isEmpty()) {
            return List.of(who + "no " + family + " policy rule 'fwmark MARK lookup TABLE' (ip " + f + " rule): the"
                    + " real servers' replies to the clients' addresses would be forwarded past lbd; " + SETUP
                    + " (or: ip " + f + " rule add fwmark 0x1 lookup 100)");
        }
        List<MarkRule> routed = new ArrayList<>();
        for (MarkRule rule : rules) {
            if (hasLocalDefault(orEmpty(probe.run("ip", f, "route", "show", "table", rule.table())))) {
                routed.add(rule);
            }
        }
        if (routed.isEmpty()) {
            MarkRule first = rules.getFirst();
            return List.of(who + "table " + first.table() + " of the " + family + " rule '" + first + "' has no"
                    + " 'local default dev lo' route, so marked replies are not delivered to lbd; " + SETUP
                    + " (or: ip " + f + " route add local " + any + " dev lo table " + first.table() + ")");
        }
        String nft = probe.run("nft", "list", "ruleset");
        String save = probe.run(ipv6 ? "ip6tables-save" : "iptables-save", "-t", "mangle");
        List<String> unmarked = new ArrayList<>();
        for (String protocol : need.protocols) {
            Set<Long> marks = new HashSet<>();
            if (nft != null) {
                marks.addAll(nftSocketMarks(nft, ipv6, protocol));
            }
            if (save != null) {
                marks.addAll(iptablesSocketMarks(save, protocol));
            }
            if (routed.stream().noneMatch(rule -> marks.stream().anyMatch(rule::matches))) {
                unmarked.add(protocol);
            }
        }
        if (unmarked.isEmpty()) {
            return List.of();
        }
        MarkRule rule = routed.getFirst();
        String unread = nft == null && save == null ? " (neither nft nor " + (ipv6 ? "ip6tables-save" : "iptables-save")
                + " could be run to read the firewall: install nftables)" : "";
        String l4 = String.join(", ", need.protocols);
        return List.of(who + "no firewall rule marks the " + family + " " + String.join(" and ", unmarked)
                .toUpperCase(Locale.ROOT) + " packets of lbd's transparent sockets for the rule '" + rule + "' (nft:"
                + " 'meta l4proto " + (need.protocols.size() > 1 ? "{ " + l4 + " }" : l4) + " socket transparent 1"
                + " meta mark set 0x" + Long.toHexString(rule.mark()) + "' in a prerouting chain), so the real"
                + " servers' replies would be forwarded past lbd" + unread + "; " + SETUP);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** The {@code fwmark ... lookup ...} rules of {@code ip rule show}'s output, in its order. */
    static List<MarkRule> markRules(String ipRuleShow) {
        List<MarkRule> rules = new ArrayList<>();
        for (String line : ipRuleShow.split("\n")) {
            Matcher m = RULE.matcher(line);
            if (m.find() && !NOT.matcher(line).find()) { // "not fwmark ...": every packet but those
                rules.add(new MarkRule(number(m.group(1)), m.group(2) == null ? 0xffffffffL : number(m.group(2)),
                        m.group(3)));
            }
        }
        return rules;
    }

    /** Whether {@code ip route show table T}'s output has a local route for every address through lo. */
    static boolean hasLocalDefault(String ipRouteShow) {
        for (String line : ipRouteShow.split("\n")) {
            String l = line.strip();
            if ((l.startsWith("local default ") || l.startsWith("local 0.0.0.0/0 ") || l.startsWith("local ::/0 "))
                    && l.contains(" dev lo")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The marks nft's ruleset gives packets of transparent sockets ({@code socket transparent 1}, with
     * {@code meta mark set} on the same rule or in the chain it jumps to), in tables of the family asked for
     * ({@code inet} serves both).
     */
    static Set<Long> nftSocketMarks(String ruleset, boolean ipv6, String protocol) {
        Map<String, List<String>> chains = new HashMap<>(); // "table/chain" -> rules
        String table = null;
        String chain = null;
        for (String line : ruleset.split("\n")) {
            Matcher t = NFT_TABLE.matcher(line);
            if (t.find()) {
                String family = t.group(1).toLowerCase(Locale.ROOT);
                boolean serves = family.equals("inet") || family.equals(ipv6 ? "ip6" : "ip");
                table = serves ? t.group(2) : null;
                chain = null;
                continue;
            }
            Matcher c = NFT_CHAIN.matcher(line);
            if (c.find()) {
                chain = c.group(1);
                continue;
            }
            if (table != null && chain != null) {
                chains.computeIfAbsent(table + "/" + chain, k -> new ArrayList<>()).add(line.strip());
            }
        }
        Set<Long> marks = new HashSet<>();
        chains.forEach((name, rules) -> {
            String tableName = name.substring(0, name.indexOf('/'));
            for (String rule : rules) {
                if (rule.contains("socket transparent 1") && covers(rule, protocol)) {
                    marks.addAll(marksOf(rule, NFT_MARK, NFT_JUMP, chains, tableName + "/"));
                }
            }
        });
        return marks;
    }

    /**
     * The marks {@code iptables-save -t mangle} gives packets matched by {@code -m socket} (with {@code -j MARK}
     * on the same rule, or in the chain it jumps to — the DIVERT chain of the kernel's TPROXY recipe).
     */
    static Set<Long> iptablesSocketMarks(String save, String protocol) {
        Map<String, List<String>> chains = new HashMap<>();
        for (String line : save.split("\n")) {
            Matcher m = IPT_RULE.matcher(line.strip());
            if (m.find()) {
                chains.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
            }
        }
        Set<Long> marks = new HashSet<>();
        chains.values().forEach(rules -> {
            for (String rule : rules) {
                if (rule.contains("-m socket") && covers(rule, protocol)) {
                    marks.addAll(marksOf(rule, IPT_MARK, IPT_JUMP, chains, ""));
                }
            }
        });
        return marks;
    }

    /** Whether a rule applies to {@code protocol}'s packets: it names it, or names neither tcp nor udp. */
    private static boolean covers(String rule, String protocol) {
        boolean tcp = TCP.matcher(rule).find();
        boolean udp = UDP.matcher(rule).find();
        return (!tcp && !udp) || (protocol.equals("tcp") ? tcp : udp);
    }

    /** The mark {@code rule} sets, or those the rules of the chain it jumps to set (one level, as the recipes). */
    private static Set<Long> marksOf(String rule, Pattern mark, Pattern jump, Map<String, List<String>> chains,
            String prefix) {
        Set<Long> marks = new HashSet<>();
        Matcher m = mark.matcher(rule);
        if (m.find()) {
            marks.add(number(m.group(1)));
            return marks;
        }
        Matcher j = jump.matcher(rule);
        if (j.find()) {
            for (String target : chains.getOrDefault(prefix + j.group(1), List.of())) {
                Matcher tm = mark.matcher(target);
                if (tm.find()) {
                    marks.add(number(tm.group(1)));
                }
            }
        }
        return marks;
    }

    private static long number(String s) {
        return s.startsWith("0x") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
    }
}
