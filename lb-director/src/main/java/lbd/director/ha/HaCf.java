package lbd.director.ha;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What lbd takes from ha.cf: the timers, the heartbeat paths, auto_failback and the cluster's node names.
 *
 * @param keepalive    interval between heartbeats
 * @param deadtime     silence after which the peer is declared dead
 * @param warntime     silence after which a late heartbeat is logged
 * @param initdead     at start-up, how long to wait for the peer before taking over
 * @param udpport      the last udpport (the port lbd listens on)
 * @param media        where heartbeats are sent, in file order
 * @param autoFailback true: the preferred node (haresources) takes its resources back when it returns
 * @param nodes        node names, in file order
 */
public record HaCf(Duration keepalive, Duration deadtime, Duration warntime, Duration initdead, int udpport,
                   List<HeartbeatMedium> media, boolean autoFailback, List<String> nodes) {

    public static final int DEFAULT_UDP_PORT = 694;

    public HaCf {
        Objects.requireNonNull(keepalive, "keepalive");
        Objects.requireNonNull(deadtime, "deadtime");
        Objects.requireNonNull(warntime, "warntime");
        Objects.requireNonNull(initdead, "initdead");
        media = List.copyOf(media);
        nodes = List.copyOf(nodes);
    }
}
