package lbd.config.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A whole, validated ldirectord.cf: the immutable model the director, lb-health and lb-dataplane consume.
 *
 * @param sha256 the SHA-256 (hex) of the file's bytes as read (of the text for an embedded configuration), as
 *               sha256sum prints it; "" when not known
 */
public record ClusterConfig(Optional<Path> source, GlobalSettings globals, List<VirtualService> virtualServices,
                            String sha256) {

    public ClusterConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(globals, "globals");
        Objects.requireNonNull(sha256, "sha256");
        virtualServices = List.copyOf(virtualServices);
    }

    /** A configuration not read from a file (tests, benchmarks). */
    public ClusterConfig(Optional<Path> source, GlobalSettings globals, List<VirtualService> virtualServices) {
        this(source, globals, virtualServices, "");
    }

    public Optional<VirtualService> find(VirtualServiceKey key) {
        return virtualServices.stream().filter(v -> v.key().equals(key)).findFirst();
    }
}
