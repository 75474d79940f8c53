package lbd.dataplane.counter;

import java.util.function.BiConsumer;
import lbd.config.model.RealServerKey;

/** Something that holds one worker's counters per real server and lets any thread visit them. */
@FunctionalInterface
public interface CounterSource {

    /** Any thread: visits each real server's counters. Visitors must only use the counters' acquire reads. */
    void forEachCounters(BiConsumer<RealServerKey, DestinationCounters> visitor);
}
