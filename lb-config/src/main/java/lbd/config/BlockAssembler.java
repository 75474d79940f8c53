package lbd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Assigns each line to the global scope or to a virtual service block, and reports misplaced and unknown
 * directives. A block runs from its virtual= line to the next unindented directive; blank and comment lines
 * do not end it (ldirectord stops at a blank line, which field configurations trip over). Any indentation
 * counts: the field guides show a tab and a single space.
 */
final class BlockAssembler {

    /** The global section and the virtual blocks, in file order. */
    record Layout(Block globals, List<Block> virtuals) {
    }

    private BlockAssembler() {
    }

    static Layout assemble(List<SourceLine> lines, Problems problems) {
        Block globals = new Block(null);
        List<Block> virtuals = new ArrayList<>();
        Block current = null;
        SourceLine endedBy = null; // the unindented global line that closed the last block
        for (SourceLine line : lines) {
            Optional<Directive> known = DirectiveTable.lookup(line.key());
            if (known.isEmpty()) {
                problems.add(line.number(), unknown(line.key()));
                continue;
            }
            Directive d = known.get();
            if (line.bare() && d != Directive.SUPERVISED) {
                problems.add(line.number(), d.configName + ": needs a value: " + d.configName + "=VALUE");
                continue;
            }
            if (d.scope == Directive.Scope.BLOCK_START) {
                current = new Block(line);
                virtuals.add(current);
                endedBy = null;
                continue;
            }
            if (line.indented() && current != null) {
                if (!d.allowedInBlock()) {
                    problems.add(line.number(), d.configName + ": is a global directive and cannot be set for one"
                            + " virtual service; write it unindented, above the first virtual= line");
                    continue;
                }
                current.add(d, line);
                continue;
            }
            // Unindented (or indented before any virtual=): the global scope.
            if (d.allowedGlobally()) {
                if (!line.indented() && current != null) {
                    current = null;
                    endedBy = line;
                }
                globals.add(d, line);
            } else if (line.indented() && endedBy != null) {
                problems.add(line.number(), d.configName + ": is indented but follows the unindented global "
                        + endedBy.key() + "= on line " + endedBy.number() + ", which ended the virtual service of line "
                        + virtuals.getLast().start.number() + "; move that global directive above the first virtual=");
            } else if (!virtuals.isEmpty()) {
                Block owner = virtuals.getLast();
                problems.add(line.number(), d.configName + ": is not indented, so it belongs to no virtual service;"
                        + " indent it with a tab or spaces under the virtual= on line " + owner.start.number());
            } else {
                problems.add(line.number(), d.configName + ": is only allowed inside a virtual service; write it"
                        + " indented under a virtual= line");
            }
        }
        return new Layout(globals, virtuals);
    }

    private static String unknown(String key) {
        if (key.equals("timeout")) {
            // ldirectord's own message for it: the directive was split in two.
            return "timeout: deprecated in favour of checktimeout and negotiatetimeout (ldirectord refuses it too);"
                    + " write checktimeout= for connect, ping and external checks and negotiatetimeout= for negotiate"
                    + " checks";
        }
        Optional<String> nearest = DirectiveTable.nearest(key);
        return nearest.map(n -> "unknown directive " + Excerpt.quoted(key) + "; did you mean \"" + n + "\"?")
                .orElseGet(() -> "unknown directive " + Excerpt.quoted(key) + "; see man ldirectord or the configuration reference in README.md"
                        + " for the directives lbd reads");
    }
}
