package lbd.director.listing;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import lbd.dataplane.dr.DrStats;

/**
 * The direct-routing workers' counters ({@code DrStats.name} → count, summed over the workers) sorted by what
 * they count ({@link DrStats#kind}): what the metrics and the JSON (lbadm, the status page) both show.
 *
 * @param received         frames read
 * @param forwarded        frames sent on to a real server
 * @param sentThroughAfXdp of those, the frames that left through an AF_XDP socket ({@code xdp=yes})
 * @param deliveredLocally frames handed to this host's stack
 * @param halfOpenEvicted  half-open flows evicted from a full flow table
 * @param udpEvicted       UDP flows of few datagrams evicted from a full flow table
 * @param parsed           frames handled further, by kind (tcp, arp, neighbour-solicitation)
 * @param dropped          frames dropped, by reason
 * @param replies          ARP replies, neighbour advertisements and ICMP too-big messages sent, by kind
 * @param carriedOn        connections carried on without their SYN seen here, by how (handed-over,
 *                         scheduled-mid-flow)
 */
public record DrTotals(long received, long forwarded, long sentThroughAfXdp, long deliveredLocally,
                       long halfOpenEvicted, long udpEvicted, SortedMap<String, Long> parsed,
                       SortedMap<String, Long> dropped, SortedMap<String, Long> replies,
                       SortedMap<String, Long> carriedOn) {

    public static DrTotals of(Map<String, Long> counters) {
        long received = 0;
        long forwarded = 0;
        long afXdp = 0;
        long local = 0;
        long evicted = 0;
        long udpEvicted = 0;
        SortedMap<String, Long> parsed = new TreeMap<>();
        SortedMap<String, Long> dropped = new TreeMap<>();
        SortedMap<String, Long> replies = new TreeMap<>();
        SortedMap<String, Long> carriedOn = new TreeMap<>();
        for (int c = 0; c < DrStats.COUNT; c++) {
            long n = counters.getOrDefault(DrStats.name(c), 0L);
            switch (DrStats.kind(c)) {
                case RECEIVED -> received += n;
                case FORWARDED -> forwarded += n;
                case SENT_THROUGH_AF_XDP -> afXdp += n;
                case DELIVERED_LOCALLY -> local += n;
                case EVICTED -> evicted += n;
                case UDP_EVICTED -> udpEvicted += n;
                case FRAME -> parsed.merge(DrStats.reason(c), n, Long::sum);
                case DROPPED -> dropped.merge(DrStats.reason(c), n, Long::sum);
                case REPLY_SENT -> replies.merge(DrStats.reason(c), n, Long::sum);
                case CARRIED_ON -> carriedOn.merge(DrStats.reason(c), n, Long::sum);
            }
        }
        return new DrTotals(received, forwarded, afXdp, local, evicted, udpEvicted,
                Collections.unmodifiableSortedMap(parsed), Collections.unmodifiableSortedMap(dropped),
                Collections.unmodifiableSortedMap(replies), Collections.unmodifiableSortedMap(carriedOn));
    }

    /** Every frame dropped, whatever the reason. */
    public long droppedTotal() {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
}
