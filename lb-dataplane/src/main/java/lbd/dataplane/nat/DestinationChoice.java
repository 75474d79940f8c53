package lbd.dataplane.nat;

import java.net.InetSocketAddress;
import lbd.config.model.RealServerKey;
import lbd.dataplane.counter.DestinationCounters;
import lbd.dataplane.persist.Persistence;
import lbd.dataplane.persist.PersistenceTemplates;
import lbd.dataplane.sched.Schedulers;
import lbd.dataplane.table.Destination;
import lbd.dataplane.worker.ServiceSlot;

/**
 * The NAT proxy's one rule for choosing the real server of a new TCP connection or UDP flow: a persistent
 * service's client network keeps its template's server (else the scheduler's choice, with a new template); sh and
 * mh hash the client; else the scheduler's choice; when none has weight above 0, the fallback.
 *
 * <p>One per event loop, reused for every choice (no allocation): the result is valid until the loop's next call.
 * Loop thread only.
 */
final class DestinationChoice {

    private Destination destination;
    private DestinationCounters counters;
    private boolean fallback;
    private PersistenceTemplates templates;
    private long templateHandle = PersistenceTemplates.NO_TEMPLATE;

    /**
     * Chooses a destination other than {@code avoid} (null: any; set on lbd's own retry after a failed connect,
     * which is not persistent: the template still holds until the health check takes its server out) for the
     * client {@code peer} (null when unknown), else the fallback.
     *
     * @return false when there is none (no destination with weight above 0 and no usable fallback)
     */
    boolean choose(ServiceSlot slot, InetSocketAddress peer, RealServerKey avoid) {
        templates = null;
        templateHandle = PersistenceTemplates.NO_TEMPLATE;
        Persistence persistence = slot.persistence();
        if (persistence != null && avoid == null && peer != null) {
            PersistenceTemplates.Binding binding = slot.bindPersistent(peer.getAddress(), peer.getPort(),
                    System.nanoTime() / 1_000_000);
            int index = binding.index();
            if (index >= 0) {
                templates = persistence.templates();
                templateHandle = binding.handle();
                set(slot.destination(index), slot.counters(index), false);
                return true;
            }
            return chooseFallback(slot, null);
        }
        int candidates = slot.table().destinations().size();
        int fold = slot.hashesClient() && peer != null
                ? slot.clientKey(Schedulers.clientFold(peer.getAddress()), peer.getPort()) : 0;
        // A scheduler may return the avoided server again (only one with weight > 0, or lc still preferring it):
        // asking as many times as there are servers gives every other one a chance without looping forever.
        for (int attempt = 0; attempt < candidates; attempt++) {
            int index = slot.pick(fold);
            if (index < 0) {
                break;
            }
            Destination d = slot.destination(index);
            if (avoid == null || !d.key().equals(avoid)) {
                set(d, slot.counters(index), false);
                return true;
            }
        }
        return chooseFallback(slot, avoid);
    }

    /** The fallback, unless there is none or it is {@code avoid}. */
    boolean chooseFallback(ServiceSlot slot, RealServerKey avoid) {
        templates = null;
        templateHandle = PersistenceTemplates.NO_TEMPLATE;
        Destination f = slot.table().fallback().orElse(null);
        DestinationCounters c = slot.fallbackCounters();
        if (f == null || c == null || f.key().equals(avoid)) {
            return false;
        }
        set(f, c, true);
        return true;
    }

    private void set(Destination d, DestinationCounters c, boolean onFallback) {
        destination = d;
        counters = c;
        fallback = onFallback;
    }

    Destination destination() {
        return destination;
    }

    DestinationCounters counters() {
        return counters;
    }

    boolean fallback() {
        return fallback;
    }

    /** The persistence templates the choice bound a connection in, or null when it is not persistent. */
    PersistenceTemplates templates() {
        return templates;
    }

    long templateHandle() {
        return templateHandle;
    }
}
