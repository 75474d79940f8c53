package lbd.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import lbd.config.model.CheckType;
import lbd.config.model.VirtualService;

/**
 * An immutable snapshot of one virtual service's health, from which the director builds its table.
 *
 * @param service        the service as configured
 * @param servers        the status of each real server, in file order
 * @param fallbackActive the fallback server is in use (configured, and every real server is down)
 */
public record ServiceHealth(VirtualService service, List<RealServerStatus> servers, boolean fallbackActive) {

    public ServiceHealth {
        Objects.requireNonNull(service, "service");
        servers = List.copyOf(servers);
    }

    /**
     * The servers to schedule over, in file order: UP → configured weight; DOWN (maintenance included) with
     * quiescent=yes → weight 0; DOWN with quiescent=no → absent; then the fallback when active. With
     * checktype=off nothing is ever activated, as in ldirectord.
     */
    public List<Member> effectiveMembers() {
        if (service.healthCheck().type() == CheckType.OFF) {
            return List.of();
        }
        List<Member> members = new ArrayList<>(servers.size() + 1);
        for (RealServerStatus status : servers) {
            if (status.state() == HealthState.UP) {
                members.add(new Member(status.server(), status.server().weight(), false));
            } else if (service.quiescent()) {
                members.add(new Member(status.server(), 0, false));
            }
        }
        if (fallbackActive) {
            service.fallback().ifPresent(f -> members.add(new Member(f, Math.max(1, f.weight()), true)));
        }
        return List.copyOf(members);
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
