package lbd.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The lines of one scope: the global section, or one virtual service block. A directive given twice keeps
 * its last value, as ldirectord does; {@code real=} lines accumulate in file order.
 */
final class Block {

    /** The virtual= line; null for the global scope. */
    final SourceLine start;
    final Map<Directive, SourceLine> settings = new EnumMap<>(Directive.class);
    final List<SourceLine> reals = new ArrayList<>();

    Block(SourceLine start) {
        this.start = start;
    }

    void add(Directive directive, SourceLine line) {
        if (directive == Directive.REAL || directive == Directive.REAL6) {
            reals.add(line);
        } else {
            settings.put(directive, line);
        }
    }

    SourceLine get(Directive directive) {
        return settings.get(directive);
    }

    boolean isIpv6() {
        return start != null && start.key().equals(Directive.VIRTUAL6.configName);
    }
}
