package lbd.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the errors (and warnings) of one load, so that an operator sees all of them at once rather than one per run. */
final class Problems {

    private final String source;
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigWarning> warnings = new ArrayList<>();

    Problems(String source) {
        this.source = source;
    }

    void add(int line, String message) {
        errors.add(new ConfigError(source, line, message));
    }

    void warn(int line, String message) {
        warnings.add(new ConfigWarning(source, line, message));
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    int count() {
        return errors.size();
    }

    /** In line order; errors of the same line keep the order in which they were found. */
    List<ConfigError> sorted() {
        List<ConfigError> copy = new ArrayList<>(errors);
        copy.sort(Comparator.comparingInt(ConfigError::line));
        return List.copyOf(copy);
    }

    /** In line order. */
    List<ConfigWarning> warnings() {
        List<ConfigWarning> copy = new ArrayList<>(warnings);
        copy.sort(Comparator.comparingInt(ConfigWarning::line));
        return List.copyOf(copy);
    }
}
