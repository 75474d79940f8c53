package lbd.health;

import java.util.List;
import java.util.Objects;

import lbd.config.model.VirtualService;

/**
 * An immutable snapshot of one virtual service's health, for listings and metrics (the director builds its tables
 * from the verdicts its listener receives).
 *
 * @param service        the service as configured
 * @param servers        the status of each real server, in file order
 * @param fallbackActive ldirectord's fallback state: configured, and every real server is down (what starts
 *                       fallbackcommand); whether new connections go to the fallback is the table's
 *                       {@code fallbackInUse} (an lbadm weight of 0 on every server counts there too)
 */
public record ServiceHealth(VirtualService service, List<RealServerStatus> servers, boolean fallbackActive) {

    public ServiceHealth {
        Objects.requireNonNull(service, "service");
        servers = List.copyOf(servers);
    }

    /** How many real servers are UP. */
    public int upCount() {
        int up = 0;
        for (RealServerStatus status : servers) {
            if (status.state() == HealthState.UP) {
                up++;
            }
        }
        return up;
    }
}
