package lbd.config;

import java.util.List;
import java.util.Objects;
import lbd.config.model.ClusterConfig;

/** The outcome of loading a configuration: a whole model, or every error found in one pass — never both. */
public sealed interface ConfigResult {

    /**
     * The configuration is valid and fully resolved; {@code warnings} (in line order) name what it accepts
     * without effect in lbd.
     */
    record Loaded(ClusterConfig config, List<ConfigWarning> warnings) implements ConfigResult {
        public Loaded {
            Objects.requireNonNull(config, "config");
            warnings = List.copyOf(warnings);
        }

        public Loaded(ClusterConfig config) {
            this(config, List.of());
        }
    }

    /** The configuration was rejected; {@code errors} is never empty and is ordered by line. */
    record Invalid(List<ConfigError> errors) implements ConfigResult {
        public Invalid {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("an Invalid result needs at least one error");
            }
        }
    }
}
