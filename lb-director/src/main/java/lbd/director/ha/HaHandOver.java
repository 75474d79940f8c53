package lbd.director.ha;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * An HA node's state as {@code lbd upgrade} carries it from the old process to the new one, which continues the
 * node where the old one stopped: the same role (an active node keeps its VIPs, a backup stays silent), what it
 * knows of the peer and since when, and the positions of both streams it sends and receives — its heartbeats' and
 * its connection sync's run (generation) and sequence, and the peer's replay windows. The peer, which checks every
 * message against the sender's run and a window of sequence numbers, takes the new process's next message as the
 * next one of the same run: it sees neither a restart (no resync) nor a silence (the hand-over takes milliseconds,
 * the heartbeat socket itself is handed over with its queue).
 *
 * <p>Carried as text lines {@code key value} ({@link #encode}, {@link #decode}).
 *
 * @param role             this node's role: ACTIVE or BACKUP
 * @param peerState        what it knows of the peer
 * @param peerRole         the peer's last announced role, null before it was heard
 * @param heardAgoMillis   how long ago the peer was last heard (meaningful when the peer was heard)
 * @param startedAgoMillis how long ago the node started (initdead counts from there)
 * @param warned           a late heartbeat was warned about since the peer was last heard
 * @param generation       this node's heartbeat run
 * @param sequence         the sequence of its last heartbeat
 * @param peerHeartbeats   the peer's heartbeat window, or null
 * @param syncGeneration   this node's sync run
 * @param syncSequence     the sequence of its last sync datagram
 * @param peerSync         the peer's sync window, or null
 * @param transitions      role changes so far
 * @param dropped          heartbeats dropped so far
 * @param since            when the node took its role
 * @param reason           why it took it
 */
public record HaHandOver(HaRole role, PeerState peerState, HaRole peerRole, long heardAgoMillis,
                         long startedAgoMillis, boolean warned, long generation, long sequence,
                         ReplayGuard.Window peerHeartbeats, long syncGeneration, long syncSequence,
                         ReplayGuard.Window peerSync, long transitions, long dropped, Instant since,
                         String reason) {

    public HaHandOver {
        if (role != HaRole.ACTIVE && role != HaRole.BACKUP) {
            throw new IllegalArgumentException("an HA node hands over as active or backup, not " + role);
        }
    }

    /** As lines {@code key value}. */
    public String encode() {
        StringBuilder out = new StringBuilder();
        line(out, "role", role.name());
        line(out, "peer-state", peerState.name());
        line(out, "peer-role", peerRole == null ? "-" : peerRole.name());
        line(out, "heard-ago-ms", heardAgoMillis);
        line(out, "started-ago-ms", startedAgoMillis);
        line(out, "warned", warned ? 1 : 0);
        line(out, "generation", generation);
        line(out, "sequence", sequence);
        line(out, "peer-heartbeats", window(peerHeartbeats));
        line(out, "sync-generation", syncGeneration);
        line(out, "sync-sequence", syncSequence);
        line(out, "peer-sync", window(peerSync));
        line(out, "transitions", transitions);
        line(out, "dropped", dropped);
        line(out, "since-ms", since.toEpochMilli());
        line(out, "reason", reason.replace('\n', ' '));
        return out.toString();
    }

    /** The lines {@link #encode} wrote; IllegalArgumentException naming what is missing or wrong. */
    public static HaHandOver decode(String text) {
        Map<String, String> v = new HashMap<>();
        for (String line : text.lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException("HA state handed over: bad line '" + line + "'");
            }
            v.put(line.substring(0, space), line.substring(space + 1));
        }
        try {
            String peerRole = get(v, "peer-role");
            return new HaHandOver(HaRole.valueOf(get(v, "role")), PeerState.valueOf(get(v, "peer-state")),
                    peerRole.equals("-") ? null : HaRole.valueOf(peerRole), number(v, "heard-ago-ms"),
                    number(v, "started-ago-ms"), number(v, "warned") == 1, number(v, "generation"),
                    number(v, "sequence"), window(get(v, "peer-heartbeats")), number(v, "sync-generation"),
                    number(v, "sync-sequence"), window(get(v, "peer-sync")), number(v, "transitions"),
                    number(v, "dropped"), Instant.ofEpochMilli(number(v, "since-ms")), get(v, "reason"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HA state handed over: " + e.getMessage(), e);
        }
    }

    private static void line(StringBuilder out, String key, Object value) {
        out.append(key).append(' ').append(value).append('\n');
    }

    private static String window(ReplayGuard.Window w) {
        return w == null ? "-" : w.generation() + " " + w.highest() + " " + Long.toHexString(w.seen());
    }

    private static ReplayGuard.Window window(String text) {
        if (text.equals("-")) {
            return null;
        }
        String[] w = text.split(" ");
        if (w.length != 3) {
            throw new IllegalArgumentException("HA state handed over: bad window '" + text + "'");
        }
        return new ReplayGuard.Window(Long.parseLong(w[0]), Long.parseLong(w[1]), Long.parseUnsignedLong(w[2], 16));
    }

    private static String get(Map<String, String> v, String key) {
        String value = v.get(key);
        if (value == null) {
            throw new IllegalArgumentException("HA state handed over: no " + key);
        }
        return value;
    }

    private static long number(Map<String, String> v, String key) {
        return Long.parseLong(get(v, key));
    }
}
