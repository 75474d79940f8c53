package lbd.health;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import lbd.config.model.VirtualServiceKey;

/** Keeps every callback for assertions. */
final class RecordingListener implements HealthListener {

    record Fallback(VirtualServiceKey service, boolean active) {
    }

    final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    final List<Fallback> fallbacks = new CopyOnWriteArrayList<>();
    final List<Runnable> onEachTransition = new CopyOnWriteArrayList<>();

    @Override
    public void onTransition(HealthEvent event) {
        events.add(event);
        onEachTransition.forEach(Runnable::run);
    }

    @Override
    public void onFallback(VirtualServiceKey service, boolean active) {
        fallbacks.add(new Fallback(service, active));
    }

    List<HealthEvent> eventsFor(int port) {
        return events.stream().filter(e -> e.server().address().port() == port).toList();
    }

    boolean has(int port, HealthState state, Predicate<String> reason) {
        return eventsFor(port).stream().anyMatch(e -> e.state() == state && reason.test(e.reason()));
    }
}
