package lbd.director.listing;

import java.util.List;
import java.util.Optional;
import lbd.config.model.VirtualServiceKey;

/**
 * Everything {@code lbadm -L} prints, captured at one moment on the control thread and then formatted
 * anywhere (the formatter never touches live state).
 */
public record TableView(List<ServiceView> services) {

    public static final TableView EMPTY = new TableView(List.of());

    public TableView {
        services = List.copyOf(services);
    }

    public Optional<ServiceView> service(VirtualServiceKey key) {
        return services.stream().filter(s -> s.key().equals(key)).findFirst();
    }
}
