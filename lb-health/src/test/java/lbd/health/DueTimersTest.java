package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class DueTimersTest {

    private static final long MS = 1_000_000L;

    /** A stand-in for a checked server: only its place on the wheel matters here. */
    private static final class Entry extends DueTimers.Entry {
        final String name;

        Entry(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final long t0 = System.nanoTime();
    private final DueTimers<Entry> timers = new DueTimers<>(t0);

    @Test
    void entriesComeDueOnlyOnceTheirDeadlinePassesEarlierTicksFirst() {
        Entry late = new Entry("late");
        Entry early = new Entry("early");
        Entry later = new Entry("later");
        timers.schedule(late, t0 + 300 * MS);
        timers.schedule(early, t0 + 100 * MS);
        timers.schedule(later, t0 + 800 * MS);

        assertThat(timers.collectDue(t0 + 50 * MS)).isEmpty();
        assertThat(timers.collectDue(t0 + 400 * MS)).containsExactly(early, late);
        assertThat(timers.scheduled(early)).isFalse();
        assertThat(timers.scheduled(later)).isTrue();
        assertThat(timers.size()).isEqualTo(1);
        assertThat(timers.collectDue(t0 + 900 * MS)).containsExactly(later);
        assertThat(timers.size()).isZero();
    }

    @Test
    void aCancelledEntryNeverComesDue() {
        Entry kept = new Entry("kept");
        Entry cancelled = new Entry("cancelled");
        timers.schedule(kept, t0 + 100 * MS);
        timers.schedule(cancelled, t0 + 100 * MS);

        timers.cancel(cancelled);
        timers.cancel(cancelled); // cancelling twice is harmless

        assertThat(timers.scheduled(cancelled)).isFalse();
        assertThat(timers.size()).isEqualTo(1);
        assertThat(timers.collectDue(t0 + 200 * MS)).containsExactly(kept);
    }

    @Test
    void oneCollectCatchesUpWithEveryTickOfAPause() {
        Entry soon = new Entry("soon");
        Entry inASecond = new Entry("inASecond");
        Entry beyondTheWheel = new Entry("beyondTheWheel"); // more than one turn of the ~1.07 s wheel away
        timers.schedule(soon, t0 + 10 * MS);
        timers.schedule(inASecond, t0 + 1_000 * MS);
        timers.schedule(beyondTheWheel, t0 + 3_000 * MS);

        List<Entry> due = timers.collectDue(t0 + 5_000 * MS);

        assertThat(due).containsExactlyInAnyOrder(soon, inASecond, beyondTheWheel); // wheel order, not deadline
        assertThat(timers.size()).isZero();
    }

    @Test
    void aDeadlineAlreadyPassedComesDueOnTheNextCollect() {
        Entry overdue = new Entry("overdue");
        timers.schedule(overdue, t0 - 100 * MS);

        assertThat(timers.collectDue(System.nanoTime() + DueTimers.TICK_NANOS)).containsExactly(overdue);
    }

    @Test
    void withFewTimersTheNextCollectIsAtTheEarliestDeadline() {
        assertThat(timers.nextCollectNanos()).isEqualTo(Long.MAX_VALUE);

        timers.schedule(new Entry("b"), t0 + 700 * MS);
        timers.schedule(new Entry("a"), t0 + 200 * MS);

        assertThat(timers.nextCollectNanos()).isEqualTo(t0 + 200 * MS);
    }

    @Test
    void withManyTimersTheNextCollectIsTheNextTick() {
        for (int i = 0; i <= DueTimers.SCAN_LIMIT; i++) {
            timers.schedule(new Entry("e" + i), t0 + 500 * MS + i);
        }

        long next = timers.nextCollectNanos();

        assertThat(next).isLessThan(t0 + 500 * MS);
        assertThat(timers.collectDue(next)).isEmpty();
    }

    /**
     * Against a model (each entry's deadline in a map): whatever the mix of deadlines — passed, within the tick,
     * within one turn of the wheel, several turns away — of cancels, and of pauses short and long, a collect returns
     * exactly the entries whose deadline has passed, each once, and the rest stay scheduled.
     */
    @Test
    void collectsExactlyTheEntriesWhoseDeadlinePassedWhateverTheMixOfDeadlinesCancelsAndPauses() {
        Random random = new Random(20261207);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            entries.add(new Entry("e" + i));
        }
        Map<Entry, Long> model = new HashMap<>();
        long now = t0;
        for (int step = 0; step < 200_000; step++) {
            Entry entry = entries.get(random.nextInt(entries.size()));
            int op = random.nextInt(10);
            if (op < 5 && !model.containsKey(entry)) {
                long deadline = now + switch (random.nextInt(4)) {
                    case 0 -> -random.nextInt(50) * MS;
                    case 1 -> random.nextInt((int) DueTimers.TICK_NANOS);
                    case 2 -> random.nextInt(1_100) * MS;
                    default -> random.nextInt(5_000) * MS;
                };
                timers.schedule(entry, deadline);
                model.put(entry, deadline);
            } else if (op < 7) {
                timers.cancel(entry);
                model.remove(entry);
            } else {
                now += random.nextInt(20) == 0 ? random.nextInt(3_000) * MS : random.nextInt(30) * MS;
                Set<Entry> expected = new HashSet<>();
                for (Map.Entry<Entry, Long> e : model.entrySet()) {
                    if (e.getValue() - now <= 0) {
                        expected.add(e.getKey());
                    }
                }
                List<Entry> due = timers.collectDue(now);
                assertThat(due).as("step %d", step).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
                expected.forEach(model::remove);
            }
            assertThat(timers.size()).isEqualTo(model.size());
            assertThat(timers.scheduled(entry)).isEqualTo(model.containsKey(entry));
        }
    }
}
