package lbd.config.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A whole, validated ldirectord.cf: the immutable model the director, lb-health and lb-dataplane consume. */
public record ClusterConfig(Optional<Path> source, GlobalSettings globals, List<VirtualService> virtualServices) {

    public ClusterConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(globals, "globals");
        virtualServices = List.copyOf(virtualServices);
    }

    public Optional<VirtualService> find(VirtualServiceKey key) {
        return virtualServices.stream().filter(v -> v.key().equals(key)).findFirst();
    }
}
