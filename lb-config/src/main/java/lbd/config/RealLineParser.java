package lbd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;

/**
 * Parses the value of a {@code real=} line:
 * {@code ADDRESS[->ADDRESS][:PORT] gate|masq|ipip [WEIGHT] ["REQUEST", "RECEIVE"] [l:LOWER] [u:UPPER]}.
 *
 * <p>The thresholds are ldirectord's own syntax (ldirectord.in add_real_server, which passes them to ipvsadm as
 * {@code -y} and {@code -x}): unquoted, the lower before the upper. ldirectord finds each with an unanchored
 * match, so a {@code u:} written before an {@code l:} is silently dropped there; lbd refuses that order instead
 * of guessing.
 */
final class RealLineParser {

    static final String FORM = "real=ADDRESS:PORT gate|masq|ipip [WEIGHT] [\"REQUEST\", \"RECEIVE\"] [l:LOWER] [u:UPPER]";
    private static final Pattern THRESHOLD = Pattern.compile("[lu]:.*");

    /** A parsed real= line, before its addresses become real servers of a particular virtual service. */
    record RealSpec(AddressParser.HostPort address, ForwardingMethod forwarding, int weight,
                    Optional<String> request, Optional<String> receive, ConnectionThresholds thresholds) {
    }

    private record Token(String text, boolean quoted) {
    }

    private RealLineParser() {
    }

    static RealSpec parse(String value, boolean ipv6, NameResolver resolver) {
        List<Token> tokens = tokenize(value);
        if (tokens.isEmpty() || tokens.getFirst().quoted()) {
            throw new BadValue("no address; expected " + FORM);
        }
        AddressParser.HostPort address = AddressParser.parse(tokens.getFirst().text(), ipv6, true, resolver);
        if (tokens.size() < 2) {
            throw new BadValue("no forwarding method after " + Excerpt.of(tokens.getFirst().text())
                    + "; expected gate, masq or ipip, e.g. real=" + Excerpt.of(tokens.getFirst().text()) + " gate");
        }
        ForwardingMethod method = switch (tokens.get(1).text()) {
            case "gate" -> ForwardingMethod.GATE;
            case "masq" -> ForwardingMethod.MASQ;
            case "ipip" -> ForwardingMethod.IPIP;
            default -> throw new BadValue("forwarding method " + Excerpt.quoted(tokens.get(1).text())
                    + " is not gate, masq or ipip; expected " + FORM);
        };
        int i = 2;
        int weight = 1;
        if (i < tokens.size() && !tokens.get(i).quoted() && !THRESHOLD.matcher(tokens.get(i).text()).matches()) {
            weight = Values.integer(tokens.get(i).text(), 0, 65535, "a weight");
            i++;
        }
        Optional<String> request = Optional.empty();
        Optional<String> receive = Optional.empty();
        if (i < tokens.size() && tokens.get(i).quoted()
                && !THRESHOLD.matcher(tokens.get(i).text()).matches()) {
            if (i + 1 >= tokens.size() || !tokens.get(i + 1).quoted()) {
                throw new BadValue("a request needs a receive after it, both quoted: \"REQUEST\", \"RECEIVE\"");
            }
            request = Optional.of(tokens.get(i).text());
            receive = Optional.of(tokens.get(i + 1).text());
            i += 2;
        }
        Integer lower = null;
        Integer upper = null;
        for (; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (!THRESHOLD.matcher(t.text()).matches()) {
                throw new BadValue("unexpected " + Excerpt.quoted(t.text()) + "; expected " + FORM);
            }
            if (t.quoted()) {
                throw new BadValue("write the threshold " + Excerpt.of(t.text()) + " without quotes, as ldirectord"
                        + " reads it: l:LOWER u:UPPER");
            }
            boolean isLower = t.text().charAt(0) == 'l';
            if ((isLower ? lower : upper) != null) {
                throw new BadValue("the " + (isLower ? "lower" : "upper") + " threshold is given twice; give "
                        + (isLower ? "l:" : "u:") + " once");
            }
            if (isLower && upper != null) {
                throw new BadValue("write l:LOWER before u:UPPER (ldirectord reads them in that order and drops a u:"
                        + " written before the l:)");
            }
            int n = Values.integer(t.text().substring(2), 0, Integer.MAX_VALUE,
                    isLower ? "a lower connection threshold (l:)" : "an upper connection threshold (u:)");
            if (isLower) {
                lower = n;
            } else {
                upper = n;
            }
        }
        int u = upper == null ? 0 : upper;
        int l = lower == null ? 0 : lower;
        String problem = ConnectionThresholds.problem(u, l);
        if (problem != null) {
            throw new BadValue(problem + "; write l:LOWER u:UPPER with LOWER <= UPPER");
        }
        return new RealSpec(address, method, weight, request, receive, new ConnectionThresholds(u, l));
    }

    /** Splits on blanks and commas; a double-quoted token may contain both. */
    private static List<Token> tokenize(String value) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
            } else if (c == '"') {
                int close = value.indexOf('"', i + 1);
                if (close < 0) {
                    throw new BadValue("missing closing double quote after " + Excerpt.of(value.substring(i)));
                }
                tokens.add(new Token(value.substring(i + 1, close), true));
                i = close + 1;
            } else {
                int start = i;
                while (i < n && " \t,\"".indexOf(value.charAt(i)) < 0) {
                    i++;
                }
                tokens.add(new Token(value.substring(start, i), false));
            }
        }
        return tokens;
    }
}
