package lbd.director.ha;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether this node is ACTIVE or BACKUP. Pure: time comes in as a monotonic nanosecond argument, so
 * timelines can be tested with a fake clock. Rules, as heartbeat's haresources/auto_failback describe them:
 * <ul>
 *   <li>At start a node is BACKUP. If it hears nothing from the peer within initdead, it takes over.</li>
 *   <li>When the peer is silent for deadtime, or says it is leaving, a BACKUP takes over.</li>
 *   <li>When both are BACKUP (a simultaneous start), the preferred node of haresources takes over.</li>
 *   <li>auto_failback on: an ACTIVE node that is not the preferred one hands back (goes BACKUP) as soon as the
 *       preferred node is alive; the preferred node then sees both BACKUP and takes over. Off: whoever serves
 *       keeps serving.</li>
 *   <li>Both ACTIVE (a healed partition): the preferred node keeps serving, the other gives up — both nodes
 *       compute the same answer from the same haresources, so the pair settles on one without negotiation.</li>
 * </ul>
 * Owned by the HA thread.
 */
public final class HaStateMachine {

    private final String peer;
    private final boolean preferred;
    private final String preferredNode;
    private final boolean autoFailback;
    private final long deadtimeNanos;
    private final long warntimeNanos;
    private final long initdeadNanos;
    private final long startNanos;

    private HaRole role = HaRole.BACKUP;
    private PeerState peerState = PeerState.UNKNOWN;
    private HaRole peerRole;
    private long lastHeardNanos;
    private boolean warned;

    public HaStateMachine(HaConfig config, long startNanos) {
        this(config.peer(), config.preferred(), config.resources().preferredNode(), config.cf().autoFailback(),
                config.cf().deadtime(), config.cf().warntime(), config.cf().initdead(), startNanos);
    }

    public HaStateMachine(String peer, boolean preferred, String preferredNode, boolean autoFailback,
                          Duration deadtime, Duration warntime, Duration initdead, long startNanos) {
        this.peer = peer;
        this.preferred = preferred;
        this.preferredNode = preferredNode;
        this.autoFailback = autoFailback;
        this.deadtimeNanos = deadtime.toNanos();
        this.warntimeNanos = warntime.toNanos();
        this.initdeadNanos = initdead.toNanos();
        this.startNanos = startNanos;
    }

    public HaRole role() {
        return role;
    }

    public PeerState peerState() {
        return peerState;
    }

    /** The role the peer last announced; null before it was heard. */
    public HaRole peerRole() {
        return peerRole;
    }

    /** When the peer was last heard (monotonic nanoseconds); meaningful once it was. */
    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** A late heartbeat was warned about since the peer was last heard. */
    public boolean warned() {
        return warned;
    }

    /** When this node started (monotonic nanoseconds): initdead counts from there. */
    public long startNanos() {
        return startNanos;
    }

    /**
     * Continues where another process's machine stopped ({@code lbd upgrade}): its role, what it knew of the peer
     * and when it last heard it. No event: the node's role does not change, it changes hands.
     */
    public void continueFrom(HaRole role, PeerState peerState, HaRole peerRole, long lastHeardNanos,
                             boolean warned) {
        this.role = role;
        this.peerState = peerState;
        this.peerRole = peerRole;
        this.lastHeardNanos = lastHeardNanos;
        this.warned = warned;
    }

    /**
     * This node did not listen for a while (a hand-over that did not complete): the silence was its own, not the
     * peer's, so the peer's deadtime counts from {@code now}.
     */
    public void listeningAgain(long now) {
        lastHeardNanos = now;
        warned = false;
    }

    /** An authenticated, fresh heartbeat from the peer arrived. */
    public List<HaEvent> onHeartbeat(HaRole announced, long now) {
        List<HaEvent> events = new ArrayList<>(2);
        HaRole before = peerRole;
        peerRole = announced;
        lastHeardNanos = now;
        warned = false;
        if (announced == HaRole.LEAVING) {
            if (before != HaRole.LEAVING || peerState != PeerState.DEAD) {
                peerChanged(PeerState.DEAD, "peer " + peer + " is stopping and gave up its resources", events);
            }
        } else if (peerState != PeerState.ALIVE) {
            peerChanged(PeerState.ALIVE, peerState == PeerState.UNKNOWN
                    ? "first heartbeat from " + peer + " (" + role(announced) + ")"
                    : "peer " + peer + " is back (" + role(announced) + ")", events);
        }
        decide(now, events);
        return events;
    }

    /** Time passed; call often (every few tens of milliseconds). */
    public List<HaEvent> onTick(long now) {
        List<HaEvent> events = new ArrayList<>(2);
        if (peerState == PeerState.ALIVE) {
            long silent = now - lastHeardNanos;
            if (silent >= deadtimeNanos) {
                peerChanged(PeerState.DEAD, "peer " + peer + " silent for " + HeartbeatTime.format(Duration.ofNanos(deadtimeNanos))
                        + " (deadtime)", events);
            } else if (silent >= warntimeNanos && !warned) {
                warned = true;
                events.add(new HaEvent.LateHeartbeat(peer, Duration.ofNanos(silent)));
            }
        }
        decide(now, events);
        return events;
    }

    /** This node is stopping: it gives up the resources and says so in its last heartbeats. */
    public List<HaEvent> leave(String why) {
        List<HaEvent> events = new ArrayList<>(1);
        if (role != HaRole.LEAVING) {
            change(HaRole.LEAVING, why, events);
        }
        return events;
    }

    private void decide(long now, List<HaEvent> events) {
        if (role == HaRole.LEAVING) {
            return;
        }
        if (peerState != PeerState.ALIVE) {
            if (role == HaRole.BACKUP) {
                if (peerState == PeerState.DEAD) {
                    change(HaRole.ACTIVE, "taking over: peer " + peer + " is dead", events);
                } else if (now - startNanos >= initdeadNanos) {
                    change(HaRole.ACTIVE, "taking over: no heartbeat from " + peer + " within "
                            + HeartbeatTime.format(Duration.ofNanos(initdeadNanos)) + " of start (initdead)", events);
                }
            }
            return;
        }
        if (role == HaRole.BACKUP && peerRole == HaRole.BACKUP && preferred) {
            change(HaRole.ACTIVE, "taking over: both nodes are backup and " + preferredNode
                    + " is the preferred node (haresources)", events);
        } else if (role == HaRole.ACTIVE && peerRole == HaRole.ACTIVE && !preferred) {
            change(HaRole.BACKUP, "giving up: both nodes are active; the preferred node " + preferredNode
                    + " (haresources) keeps serving", events);
        } else if (role == HaRole.ACTIVE && peerRole == HaRole.BACKUP && autoFailback && !preferred) {
            change(HaRole.BACKUP, "giving up: auto_failback on and the preferred node " + preferredNode
                    + " is back", events);
        }
    }

    private void change(HaRole to, String reason, List<HaEvent> events) {
        events.add(new HaEvent.RoleChanged(role, to, reason));
        role = to;
    }

    private void peerChanged(PeerState to, String reason, List<HaEvent> events) {
        events.add(new HaEvent.PeerChanged(peerState, to, reason));
        peerState = to;
    }

    private static String role(HaRole r) {
        return r.name().toLowerCase(java.util.Locale.ROOT);
    }
}
