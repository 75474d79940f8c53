package lbd.director.core;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The latest {@value #CAPACITY} health and fallback transitions, for the status page. Written by the health
 * monitor's event thread, read by status requests; a transition is rare (a server changing state), so a lock
 * costs nothing that matters and keeps the two sides simple.
 */
final class RecentTransitions {

    static final int CAPACITY = 50;

    private final ArrayDeque<Transition> latest = new ArrayDeque<>(CAPACITY);

    synchronized void add(Transition t) {
        if (latest.size() == CAPACITY) {
            latest.removeFirst();
        }
        latest.addLast(t);
    }

    /** Oldest first. */
    synchronized List<Transition> list() {
        return List.copyOf(latest);
    }
}
