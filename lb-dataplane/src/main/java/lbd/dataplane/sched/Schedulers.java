package lbd.dataplane.sched;

import java.net.Inet4Address;
import java.net.InetAddress;
import lbd.config.model.SchedulerKind;

/** Creates the per-worker scheduler for a scheduling algorithm. */
public final class Schedulers {

    private Schedulers() {
    }

    /**
     * The kernel's fold of a client address, for schedulers that hash the client: an IPv4 address's 32 bits
     * (without allocating: its hashCode is them), an IPv6 address's four words XORed.
     */
    public static int clientFold(InetAddress client) {
        return client instanceof Inet4Address ? client.hashCode() : KernelHashes.fold(client.getAddress());
    }

    /** A fresh scheduler, as IPVS binds one (init_service) when a service is created or its scheduler edited. */
    public static Scheduler create(SchedulerKind kind) {
        return switch (kind) {
            case RR -> new RoundRobin();
            case WRR -> new WeightedRoundRobin();
            case LC, WLC, SED, NQ, FO, OVF -> new LeastLoadScheduler(LoadRule.of(kind));
            case SH -> new SourceHashScheduler();
            case MH -> new MaglevScheduler();
            case DH -> new DestinationHashScheduler();
            case TWOS -> new PowerOfTwoChoices();
            case LBLC -> new LocalityBasedLeastConnection();
            case LBLCR -> new LocalityBasedReplication();
        };
    }
}
