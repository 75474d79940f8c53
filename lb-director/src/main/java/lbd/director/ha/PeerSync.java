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

    /**
     * Where the sync's own stream and the peer's stand ({@code lbd upgrade} carries it to the new process): this
     * node's sync run and last sequence, and the peer's replay window (null before it sent anything).
     */
    record Position(long generation, long sequence, ReplayGuard.Window peer) {
        public static final Position NONE = new Position(0, 0, null);
    }

    /**
     * {@code lbd upgrade}, after the HA thread stopped: sends what is waiting (the DR workers are held, so nothing
     * more comes), takes in every datagram received, and stops; returns where it stands.
     */
    Position pause();

    /** After {@link #pause}: carries on, as a new run (the peer resyncs this node). */
    void resume();

    /** Stops it (after the HA thread ended). */
    @Override
    void close();
}
