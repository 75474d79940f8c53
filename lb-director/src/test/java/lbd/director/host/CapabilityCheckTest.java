package lbd.director.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapabilityCheckTest {

    private static final long NONE = 0;
    private static final long ALL_THREE = (1L << CapabilityCheck.CAP_NET_BIND_SERVICE)
            | (1L << CapabilityCheck.CAP_NET_ADMIN) | (1L << CapabilityCheck.CAP_NET_RAW);

    @TempDir
    Path dir;

    @Test
    void aMasqVipBelowTheUnprivilegedPortsNeedsNetBindService() throws Exception {
        ClusterConfig config = load("virtual=198.18.0.1:80\n\treal=198.18.0.2:80 masq\n\tchecktype=on\n");
        assertThat(CapabilityCheck.missing(config, false, NONE, 1024)).singleElement().asString()
                .startsWith("CAP_NET_BIND_SERVICE is missing: TCP 198.18.0.1:80 listen below port 1024");
        assertThat(CapabilityCheck.missing(config, false, NONE, 80)).isEmpty();
        assertThat(CapabilityCheck.missing(config, false, 1L << CapabilityCheck.CAP_NET_BIND_SERVICE, 1024)).isEmpty();
    }

    @Test
    void aGateServiceNeedsNetRawAndAHighMasqPortNeedsNothing() throws Exception {
        ClusterConfig config = load("virtual=198.18.0.1:8080\n\treal=198.18.0.2:8080 masq\n\tchecktype=on\n"
                + "virtual=198.18.0.1:8443\n\treal=198.18.0.3:8443 gate\n\tchecktype=on\n");
        assertThat(CapabilityCheck.missing(config, false, NONE, 1024)).singleElement().asString()
                .startsWith("CAP_NET_RAW is missing: the direct-routing services TCP 198.18.0.1:8443 need a packet"
                        + " socket; run lbd as root, or give it the capability");
    }

    @Test
    void xdpNeedsBpfNetAdminAndIpcLockBesideNetRaw() throws Exception {
        ClusterConfig config = load("xdp=yes\nvirtual=198.18.0.1:8443\n\treal=198.18.0.3:8443 gate\n\tchecktype=on\n");
        long raw = 1L << CapabilityCheck.CAP_NET_RAW;
        assertThat(CapabilityCheck.missing(config, false, raw, 1024)).hasSize(3)
                .anySatisfy(p -> assertThat(p).startsWith("CAP_BPF is missing: xdp=yes loads an XDP program"))
                .anySatisfy(p -> assertThat(p).startsWith("CAP_NET_ADMIN is missing: xdp=yes attaches"))
                .anySatisfy(p -> assertThat(p).startsWith("CAP_IPC_LOCK is missing: xdp=yes pins 10 MiB"));
        long all = ALL_THREE | (1L << CapabilityCheck.CAP_BPF) | (1L << CapabilityCheck.CAP_IPC_LOCK);
        assertThat(CapabilityCheck.missing(config, false, all, 1024)).isEmpty();
        long sysAdminForBpf = ALL_THREE | (1L << CapabilityCheck.CAP_SYS_ADMIN) | (1L << CapabilityCheck.CAP_IPC_LOCK);
        assertThat(CapabilityCheck.missing(config, false, sysAdminForBpf, 1024)).as("before Linux 5.8").isEmpty();
        ClusterConfig masqOnly = load("xdp=yes\nvirtual=198.18.0.1:8080\n\treal=198.18.0.2:8080 masq\n\tchecktype=on\n");
        assertThat(CapabilityCheck.missing(masqOnly, false, NONE, 1024)).as("no direct routing, no XDP").isEmpty();
    }

    @Test
    void haNeedsNetAdminForTheVipsAndNetRawForGratuitousArp() throws Exception {
        ClusterConfig config = load("virtual=198.18.0.1:8080\n\treal=198.18.0.2:8080 masq\n\tchecktype=on\n");
        assertThat(CapabilityCheck.missing(config, true, NONE, 1024))
                .anySatisfy(p -> assertThat(p).startsWith("CAP_NET_ADMIN is missing: HA adds and removes"))
                .anySatisfy(p -> assertThat(p).startsWith("CAP_NET_RAW is missing: HA announces"));
        assertThat(CapabilityCheck.missing(config, true, ALL_THREE, 1024)).isEmpty();
    }

    @Test
    void transparentNeedsNetAdminOrNetRaw() throws Exception {
        ClusterConfig config = load("virtual=198.18.0.1:8080\n\treal=198.18.0.2:8080 masq\n\tchecktype=on\n"
                + "\ttransparent=yes\n");
        assertThat(CapabilityCheck.missing(config, false, NONE, 1024)).singleElement().asString()
                .isEqualTo("CAP_NET_ADMIN is missing: the transparent=yes services TCP 198.18.0.1:8080 connect to"
                        + " their real servers from the clients' addresses (IP_TRANSPARENT); run lbd as root, or give"
                        + " it the capability (AmbientCapabilities= in the systemd unit, as the packaged lbd.service"
                        + " does)");
        assertThat(CapabilityCheck.missing(config, false, 1L << CapabilityCheck.CAP_NET_ADMIN, 1024)).isEmpty();
        assertThat(CapabilityCheck.missing(config, false, 1L << CapabilityCheck.CAP_NET_RAW, 1024)).isEmpty();
    }

    @Test
    void theEffectiveSetIsReadFromProcStatusInHexadecimal() throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nCapInh:\t0000000000000000\nCapEff:\t0000000000003400\n");
        assertThat(CapabilityCheck.effectiveCapabilities(status)).hasValue(ALL_THREE);
        assertThat(CapabilityCheck.effectiveCapabilities(dir.resolve("absent"))).isEmpty();
        Path sysctl = dir.resolve("port_start");
        Files.writeString(sysctl, "80\n");
        assertThat(CapabilityCheck.unprivilegedPortStart(sysctl)).isEqualTo(80);
        assertThat(CapabilityCheck.unprivilegedPortStart(dir.resolve("absent"))).isEqualTo(1024);
    }

    @Test
    void theRunningKernelsUnprivilegedPortStartIsReadWhole() throws Exception {
        Path sysctl = Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(sysctl), "no " + sysctl + " here");
        String shell = new String(new ProcessBuilder("cat", sysctl.toString()).start().getInputStream().readAllBytes())
                .strip();
        assertThat(CapabilityCheck.unprivilegedPortStart(sysctl)).isEqualTo(Integer.parseInt(shell));
    }

    private ClusterConfig load(String text) throws Exception {
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, text);
        return switch (ConfigLoader.load(file)) {
            case ConfigResult.Loaded loaded -> loaded.config();
            case ConfigResult.Invalid invalid -> throw new AssertionError(invalid.errors().toString());
        };
    }
}
