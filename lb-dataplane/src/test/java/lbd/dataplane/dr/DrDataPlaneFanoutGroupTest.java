package lbd.dataplane.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The PACKET_FANOUT group id of a DR data plane is its pid's low 16 bits, but never an ancestor's: the new process
 * of an upgrade (a descendant of the old one) must not join the old one's group, or the kernel would split the
 * frames between them.
 */
class DrDataPlaneFanoutGroupTest {

    /** A process with {@code pid} whose parent is {@code parent} (or none). */
    private static ProcessHandle process(long pid, ProcessHandle parent) {
        return (ProcessHandle) Proxy.newProxyInstance(ProcessHandle.class.getClassLoader(),
                new Class<?>[] {ProcessHandle.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "pid" -> pid;
                    case "parent" -> Optional.ofNullable(parent);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theGroupIsThePidsLowBits() {
        assertThat(DrDataPlane.fanoutGroup(process(0x1_2345, process(1, null)))).isEqualTo(0x2345);
    }

    @Test
    void aDescendantOfAProcessWithTheSameLowBitsTakesAnotherGroup() {
        ProcessHandle old = process(0x2_0005, process(1, null));
        ProcessHandle launcher = process(0x3_0006, old);
        assertThat(DrDataPlane.fanoutGroup(process(0x1_0005, launcher))).isEqualTo(0x0007);
    }

    @Test
    void thisProcessTakesNoAncestorsGroup() {
        int group = DrDataPlane.fanoutGroup(ProcessHandle.current());
        for (Optional<ProcessHandle> p = ProcessHandle.current().parent(); p.isPresent(); p = p.get().parent()) {
            assertThat(group).isNotEqualTo((int) (p.get().pid() & 0xffff));
        }
    }
}
