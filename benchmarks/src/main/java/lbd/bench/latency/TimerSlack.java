package lbd.bench.latency;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * Linux rounds a thread's timed waits up by its timer slack, 50 µs by default, while the load client's requests are
 * due tens of microseconds apart: {@link SelectorAlarm}'s thread asks for 1 µs of slack (prctl PR_SET_TIMERSLACK).
 * Without it the schedule still holds (latency counts from the intended time); requests just leave up to ~50 µs
 * late, which then shows in every latency.
 */
final class TimerSlack {

    private static final int PR_SET_TIMERSLACK = 29;

    private TimerSlack() {}

    /** Sets the calling thread's timer slack; returns false (and changes nothing) where that is not possible. */
    static boolean setForThisThread(long nanos) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle prctl = linker.downcallHandle(
                    linker.defaultLookup().find("prctl").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                    Linker.Option.firstVariadicArg(1));
            return (int) prctl.invokeExact(PR_SET_TIMERSLACK, nanos, 0L, 0L, 0L) == 0;
        } catch (Throwable notAvailable) {
            return false;
        }
    }
}
