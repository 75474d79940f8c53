package lbd.director.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP handled by lbd whatever it inherited. A process started under {@code nohup} (or by any parent that ignores
 * SIGHUP) inherits the signal as ignored, and HotSpot then declines to install a handler for it
 * ({@code JVM_RegisterSignal} returns "ignored" for its shutdown signals): {@code Signal.handle} returns SIG_IGN
 * and every SIGHUP goes on being ignored, so {@code kill -HUP} would silently never reload. ldirectord, a Perl
 * program, installs its handler over the ignored disposition; lbd does the same by setting the disposition back
 * to the default first, then installing its own.
 */
final class HangUpSignal {

    private static final int SIGHUP = 1;

    private HangUpSignal() {
    }

    /** Installs {@code handler} for SIGHUP; true when the signal had been ignored and had to be reset first. */
    static boolean handle(SignalHandler handler) {
        Signal hup = new Signal("HUP");
        if (Signal.handle(hup, handler) != SignalHandler.SIG_IGN) {
            return false;
        }
        defaultDisposition();
        Signal.handle(hup, handler);
        return true;
    }

    private static void defaultDisposition() {
        Linker linker = Linker.nativeLinker();
        MethodHandle signal = linker.downcallHandle(linker.defaultLookup().findOrThrow("signal"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try {
            MemorySegment ignored = (MemorySegment) signal.invokeExact(SIGHUP, MemorySegment.NULL); // to SIG_DFL, from SIG_IGN
        } catch (Throwable t) {
            throw new IllegalStateException("cannot reset SIGHUP's disposition", t);
        }
    }
}
