package lbd.director.ha;

import java.net.InetAddress;

/** One path heartbeats travel on, from an ha.cf {@code bcast}, {@code ucast} or {@code mcast} line. */
public sealed interface HeartbeatMedium {

    /** The interface the heartbeats leave from. */
    String interfaceName();

    /** The UDP port, fixed by the {@code udpport} in effect when the line was read (as heartbeat does). */
    int port();

    /** {@code bcast IF}: to the interface's broadcast address. */
    record Broadcast(String interfaceName, int port) implements HeartbeatMedium {
    }

    /** {@code ucast IF PEER}: to the peer's address. Each node ignores a ucast line naming one of its own addresses. */
    record Unicast(String interfaceName, InetAddress peer, int port) implements HeartbeatMedium {
    }

    /** {@code mcast IF GROUP PORT TTL LOOP}: to a multicast group. */
    record Multicast(String interfaceName, InetAddress group, int port, int ttl, boolean loop) implements HeartbeatMedium {
    }
}
