package lbd.config;

import java.util.function.Function;

/** Applies a value parser to a directive of a block, recording a failure as "directive: why" on its line. */
final class ValueReader {

    final Problems problems;
    final NameResolver resolver;

    ValueReader(Problems problems, NameResolver resolver) {
        this.problems = problems;
        this.resolver = resolver;
    }

    /** The parsed value, or null when the directive is absent or its value is bad (then an error is recorded). */
    <T> T read(Block block, Directive directive, Function<String, T> parser) {
        SourceLine line = block.get(directive);
        return line == null ? null : read(line, parser);
    }

    <T> T read(SourceLine line, Function<String, T> parser) {
        try {
            return parser.apply(line.value());
        } catch (BadValue e) {
            error(line, e.getMessage());
            return null;
        }
    }

    void error(SourceLine line, String message) {
        problems.add(line.number(), line.key() + ": " + message);
    }

    /** Reports directives lbd rejects wherever they appear, so that none is silently ignored. */
    void rejectNotYet(Block block) {
        for (var e : block.settings.entrySet()) {
            if (e.getKey().support == Directive.Support.NOT_YET) {
                error(e.getValue(), switch (e.getKey()) {
                    case EXECUTE -> "starting other ldirectord configurations is not supported yet; run one lbd"
                            + " per configuration file";
                    default -> "is not supported yet; remove the line";
                });
            }
        }
    }

    /**
     * Warns, on its line, about each directive of {@code block} that lbd accepts but that has no effect in lbd,
     * so that none is silently ignored.
     */
    void warnNoEffect(Block block) {
        for (var e : block.settings.entrySet()) {
            Directive d = e.getKey();
            SourceLine line = e.getValue();
            if (d.support == Directive.Support.ACCEPTED) {
                problems.warn(line.number(), d.configName + " has no effect in lbd because " + NoEffect.because(d));
            } else if (d == Directive.CLEANSTOP && block.start != null) {
                problems.warn(line.number(), "cleanstop in a virtual block has no effect in lbd because "
                        + NoEffect.CLEANSTOP_IN_BLOCK);
            }
        }
    }
}
