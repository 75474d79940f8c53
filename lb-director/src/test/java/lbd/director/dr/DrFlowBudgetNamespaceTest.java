package lbd.director.dr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lbd.dataplane.dr.DrOptions;
import lbd.dataplane.dr.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The DR workers' flow tables are sized to the heap: lbd with four workers in a 256 MiB heap starts and tracks
 * what half of that heap holds. At a full 1,048,576 connections per worker (129 MiB each) it ran out of heap while
 * starting direct routing and exited, as a default lbd (1 GiB) did on any director of eight cores or more.
 */
@Timeout(120)
class DrFlowBudgetNamespaceTest {

    private static final String VIP = "198.18.0.70";

    @Test
    void fourWorkersStartInA256MiBHeapWithTablesOfHalfOfIt() throws Exception {
        assumeTrue(Shell.isRoot(), "DrFlowBudgetNamespaceTest needs root (network namespaces, AF_PACKET); skipped");
        DrLab lab = new DrLab("budget");
        boolean passed = false;
        try {
            lab.oneSwitch("198.18.0.71");
            lab.gateServer("rs", "198.18.0.72", VIP);
            Path config = lab.writeConfig("eventloops=4", "interface=eth0", "virtual=" + VIP + ":80",
                    " real=198.18.0.72:80 gate", " checktype=on", " scheduler=rr");
            Process lbd = lab.lbd("dir", Map.of("JAVA_TOOL_OPTIONS", "-Xmx256m"), "--config", config.toString(),
                    "--socket", lab.socket.toString(), "--warmup=no");
            // Direct routing starts (or runs out of heap) before the control socket is up: wait for the socket.
            await("lbd answers on its control socket").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> !lbd.isAlive() || lab.listing("--json").contains("\"flowCapacity\""));
            assertThat(lbd.isAlive()).as("lbd runs").isTrue();

            // Half of the heap the JVM reports (a collector may report a little less than -Xmx), in four tables.
            Matcher logged = Pattern.compile("\\(4 workers tracking up to (\\d+) connections each").matcher(lab.lbdLog());
            assertThat(logged.find()).as("lbd logs the tables' size").isTrue();
            int each = Integer.parseInt(logged.group(1));
            long half = (256L << 20) / 2;
            assertThat(4 * DrOptions.heapBytes(each)).isLessThanOrEqualTo(half).isGreaterThan(half * 9 / 10);
            assertThat(lab.listing("--json")).contains("\"flowCapacity\":" + 4 * each);
            passed = true;
        } finally {
            if (!passed) {
                lab.dump();
            }
            lab.close();
        }
    }
}
