package lbd.director.ha;

/**
 * What the HA node tells the connection sync ({@link ConnectionSync}), on the HA thread: sync datagrams that
 * arrived on the heartbeat socket, and the peer (re)joining (it needs everything).
 */
public interface PeerSync extends AutoCloseable {

    /** A datagram whose magic says it is a sync datagram ({@link SyncCodec#isSync}), not yet checked. */
    void received(byte[] datagram, int length, String from);

    /** The peer came back (alive after being dead, or restarted): it holds none of this node's connections. */
    void peerJoined();

    /** What it did so far (metrics). Any thread. */
    ConnectionSync.Stats stats();

    /** Stops it (after the HA thread ended). */
    @Override
    void close();
}
