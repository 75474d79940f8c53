package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import lbd.config.model.Endpoint;
import lbd.director.cli.LbadmMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** lbadm, called with its arguments, against a control server on a socket in a temporary directory. */
@Timeout(20)
class LbadmTest {

    @TempDir
    Path dir;
    Path socket;
    FakeHandler handler;
    ControlServer server;
    String out;
    String err;

    @BeforeEach
    void start() {
        socket = dir.resolve("lbd.sock");
        handler = new FakeHandler();
        server = ControlServer.start(socket, new ControlService(handler, "lbd 0.1.0"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    int lbadm(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--socket";
        all[1] = socket.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int status = LbadmMain.run(all, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void listsTheTableInIpvsadmLayout() {
        assertThat(lbadm("-Ln")).isZero();
        assertThat(out.lines().toList()).containsExactly(
                "lbd 0.1.0",
                "Prot LocalAddress:Port Scheduler Flags",
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
                "TCP  127.0.0.1:8080 rr",
                "  -> 127.0.0.2:80                 Masq    1      1          2         ",
                "  -> 127.0.0.3:80                 Masq    1      1          2         ");
    }

    @Test
    void editsAWeightWithIpvsadmFlagsAndTheListingShowsIt() {
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.3:80", "-m", "-w", "0")).isZero();
        assertThat(lbadm("-L", "-n", "-t", "127.0.0.1:8080")).isZero();
        assertThat(out).contains("  -> 127.0.0.3:80                 Masq    0      1          2          weight set by lbadm");
    }

    @Test
    void connectionThresholdsAsIpvsadmsDashXAndDashYListedWithDashDashThresholdsAndSavedByDashS() {
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.3:80", "-w", "1", "-x", "100", "-y", "50"))
                .isZero();
        assertThat(lbadm("-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.4:80", "-m", "--u-threshold=7")).isZero();
        assertThat(lbadm("-L", "-n", "--thresholds")).isZero();
        // ipvsadm's print_title and print_service_entry for FMT_THRESHOLDS: %-10u columns.
        assertThat(out.lines().toList()).containsExactly(
                "lbd 0.1.0",
                "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
                "  -> RemoteAddress:Port",
                "TCP  127.0.0.1:8080 rr",
                "  -> 127.0.0.2:80                 0          0          1          2         ",
                "  -> 127.0.0.3:80                 100        50         1          2         ",
                "  -> 127.0.0.4:80                 7          0          0          0         ");
        assertThat(lbadm("-S", "-n")).isZero();
        assertThat(out.lines().toList()).containsExactly(
                "-A -t 127.0.0.1:8080 -s rr",
                "-a -t 127.0.0.1:8080 -r 127.0.0.2:80 -m -w 1",
                "-a -t 127.0.0.1:8080 -r 127.0.0.3:80 -m -w 1 -x 100 -y 50",
                "-a -t 127.0.0.1:8080 -r 127.0.0.4:80 -m -w 1 -x 7 -y 0");
        // ipvsadm -e sends the whole destination: -e without -x/-y sets them back to 0.
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.3:80", "-w", "1")).isZero();
        assertThat(lbadm("-L", "-n", "--thresholds")).isZero();
        assertThat(out).contains("  -> 127.0.0.3:80                 0          0          1          2         ");
    }

    @Test
    void thresholdsIpvsadmOrTheKernelWouldRefuseAreRefused() {
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.3:80", "-w", "1", "-x", "5", "-y", "6"))
                .isEqualTo(2);
        assertThat(err).contains("the lower threshold (6) is above the upper (5); IPVS refuses lower > upper"
                + " (Numerical result out of range)");
        assertThat(lbadm("-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.5:80", "-x", "-1")).isEqualTo(2);
        assertThat(err).contains("illegal u_threshold specified");
        assertThat(lbadm("-L", "-n", "-x", "5")).isEqualTo(2);
        assertThat(err).contains("Illegal 'u-threshold' option: -x and -y go with -a or -e");
    }

    @Test
    void addsDeletesAndChangesTheScheduler() {
        assertThat(lbadm("-a", "-t", "127.0.0.1:8080", "-r", "127.0.0.4", "-m", "-w", "2")).isZero();
        assertThat(lbadm("-d", "--tcp-service=127.0.0.1:8080", "--real-server", "127.0.0.2:80")).isZero();
        assertThat(lbadm("-E", "-t", "127.0.0.1:8080", "-s", "wlc")).isZero();
        assertThat(lbadm("-Ln")).isZero();
        assertThat(out).contains("TCP  127.0.0.1:8080 wlc").contains("127.0.0.4:8080").doesNotContain("127.0.0.2:80");
    }

    /** The same port names as ldirectord.cf (one table): ssh is built in, so this holds without /etc/services. */
    @Test
    void aPortNameMeansWhatItMeansInTheConfigurationFile() throws Exception {
        LbadmArguments.Action action = LbadmArguments.parse(new String[] {"-d", "-t", "127.0.0.1:ssh", "-r",
            "127.0.0.2:imaps"});
        assertThat(action).isInstanceOfSatisfying(LbadmArguments.Send.class, send -> assertThat(send.request()
                .toString()).contains("127.0.0.1:22").contains("127.0.0.2:993"));
    }

    @Test
    void persistentConnTravelsToTheSocketAndBack() throws Exception {
        LbadmArguments.Action action = LbadmArguments.parse(new String[] {"-L", "-n", "--persistent-conn"});
        assertThat(action).isInstanceOfSatisfying(LbadmArguments.Send.class, send -> {
            assertThat(send.request().toLine()).isEqualTo("list numeric persistent-conn");
            assertThat(ControlRequest.parse(send.request().toLine())).isEqualTo(send.request());
        });
    }

    /** One address syntax: lbadm reads what ldirectord.cf reads; the control socket takes numeric addresses only. */
    @Test
    void addressesReadAsInTheConfigurationFileAndTheSocketNeverResolvesNames() throws Exception {
        assertThat(LbadmArguments.endpoint("[2001:db8::1]:https", -1))
                .isEqualTo(Endpoint.of("2001:db8::1", 443));
        assertThat(LbadmArguments.endpoint("198.18.0.2", 8080)).isEqualTo(Endpoint.of("198.18.0.2", 8080));
        assertThatThrownBy(() -> LbadmArguments.endpoint("198.18.0.2:99999", -1)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> LbadmArguments.endpoint("198.18.0.2", -1)).hasMessageContaining("needs a port");
        assertThat(ControlRequest.endpoint("198.18.0.2:80")).isEqualTo(Endpoint.of("198.18.0.2", 80));
        assertThatThrownBy(() -> ControlRequest.endpoint("localhost:80")).isInstanceOf(ControlException.class)
                .hasMessageContaining("localhost");
    }

    @Test
    void refusalsExitOneWithTheDaemonsMessage() {
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.9:80", "-w", "1")).isEqualTo(1);
        assertThat(err).startsWith("lbadm: No such destination");
        assertThat(lbadm("-E", "-t", "127.0.0.1:9999", "-s", "rr")).isEqualTo(1);
        assertThat(err).startsWith("lbadm: No such service");
        assertThat(lbadm("-a", "-t", "127.0.0.1:9999", "-r", "127.0.0.9:80")).isEqualTo(1);
        assertThat(err).startsWith("lbadm: Service not defined");
    }

    @Test
    void badUsageExitsTwo() {
        assertThat(lbadm("-e", "-t", "127.0.0.1:8080", "-r", "127.0.0.2:80")).isEqualTo(2);
        assertThat(err).contains("-e needs -w");
        assertThat(lbadm("-f", "1", "-A")).isEqualTo(2);
        assertThat(err).contains("firewall-mark");
        assertThat(lbadm("-Q")).isEqualTo(2);
        assertThat(lbadm()).isEqualTo(2);
    }

    /** ipvsadm --set and -L --timeout: 0 keeps a value; ipvsadm's messages and exit 2 for bad input. */
    @Test
    void setsAndListsTheConnectionTimeoutsAsIpvsadm() {
        assertThat(lbadm("-L", "--timeout")).isZero();
        assertThat(out).isEqualTo("Timeout (tcp tcpfin udp): 900 120 300\n");
        assertThat(lbadm("--set", "600", "0", "30")).isZero();
        assertThat(lbadm("-L", "--timeout")).isZero();
        assertThat(out).isEqualTo("Timeout (tcp tcpfin udp): 600 120 30\n");

        assertThat(lbadm("--set", "600", "60")).isEqualTo(2);
        assertThat(err).isEqualTo("lbadm: --set option requires 3 timeout values\n");
        assertThat(lbadm("--set", "600", "x", "30")).isEqualTo(2);
        assertThat(err).isEqualTo("lbadm: invalid timeout value `x' specified\n");
        assertThat(lbadm("--set", "2678401", "0", "0")).as("over 31 days").isEqualTo(2);
        assertThat(lbadm("-Ln", "--timeout", "--stats")).isEqualTo(2);
        assertThat(err).isEqualTo("lbadm: options conflicts in the list command\n");
        assertThat(lbadm("-Lnc", "--rate")).isEqualTo(2);
        assertThat(handler.timeouts.tcpSeconds()).isEqualTo(600);
    }

    @Test
    void everyListingComesAsJsonWithItsSchemaVersion() {
        assertThat(lbadm("-Ln", "--json")).isZero();
        assertThat(out).startsWith("{\"schema\":1,\"kind\":\"table\",\"services\":[{\"protocol\":\"tcp\","
                + "\"address\":\"127.0.0.1\",\"port\":8080,");
        assertThat(lbadm("-Lc", "--json")).isZero();
        assertThat(out).startsWith("{\"schema\":1,\"kind\":\"connections\",\"total\":1,\"listed\":1,");
        assertThat(lbadm("-L", "--timeout", "--json")).isZero();
        assertThat(out).isEqualTo("{\"schema\":1,\"kind\":\"timeouts\",\"tcp\":900,\"tcpfin\":120,\"udp\":300}\n");
        assertThat(lbadm("-S", "--json")).isEqualTo(2);
    }

    /** The DR counters reach lbadm: -L --json has them when a gate service runs, and nothing more when not. */
    @Test
    void theTableAsJsonCarriesTheDirectRoutingCounters() {
        assertThat(lbadm("-Ln", "--json")).isZero();
        assertThat(out).doesNotContain("directRouting");
        handler.directRouting = java.util.Optional.of(new lbd.director.listing.DirectRoutingView(
                java.util.Map.of("received", 12L, "forwarded", 9L, "dropped-unknown-flow-not-syn", 3L),
                java.util.List.of(new lbd.dataplane.dr.FlowOccupancy(0, 4, 65536)), java.util.Map.of()));
        assertThat(lbadm("-Ln", "--json")).isZero();
        assertThat(out).contains("\"directRouting\":{\"received\":12,\"forwarded\":9,\"sentThroughAfXdp\":0,\"deliveredLocally\":0,"
                + "\"dropped\":{").contains("\"unknown-flow-not-syn\":3").contains("\"droppedTotal\":3")
                .contains("\"flows\":4,\"flowCapacity\":65536,\"unresolved\":[]}}");
    }

    @Test
    void listsConnectionsThroughTheSocket() {
        assertThat(lbadm("-Lnc")).isZero();
        assertThat(out).isEqualTo("""
                IPVS connection entries
                pro expire state       source             virtual            destination
                TCP 14:59  ESTABLISHED 192.0.2.7:40000    127.0.0.1:8080     127.0.0.2:80
                """);
    }

    /** -A/-E/-D/-C with ipvsadm's options and defaults; the daemon's refusals in ipvsadm's words, exit 1. */
    @Test
    void addsEditsAndDeletesWholeServicesAsIpvsadm() {
        assertThat(lbadm("-A", "-t", "10.0.0.1:80", "-s", "sh", "-p", "-M", "255.255.255.0", "-b", "sh-port"))
                .as(err).isZero();
        assertThat(handler.serviceEdits.getLast()).isEqualTo("add ServiceSettings[key=TCP 10.0.0.1:80,"
                + " scheduler=SH, persistence=OptionalInt[300], netmask=Optional[255.255.255.0],"
                + " flags=SchedulerFlags[fallback=false, port=true]]");
        assertThat(lbadm("-A", "-t", "10.0.0.2:80", "-p600")).isZero();
        assertThat(handler.serviceEdits.getLast()).contains("scheduler=WLC, persistence=OptionalInt[600]");
        assertThat(lbadm("-E", "-t", "127.0.0.1:8080")).as("-E states everything: wlc when -s is left out")
                .isZero();
        assertThat(handler.scheduler).isEqualTo("wlc");
        assertThat(lbadm("-D", "-t", "127.0.0.1:8080")).isZero();
        assertThat(lbadm("-C")).isZero();
        assertThat(handler.serviceEdits.getLast()).isEqualTo("clear");

        assertThat(lbadm("-A", "-t", "127.0.0.1:8080", "-s", "rr")).isEqualTo(1);
        assertThat(err).isEqualTo("lbadm: Service already exists: TCP 127.0.0.1:8080\n");
        assertThat(lbadm("-E", "-t", "127.0.0.9:80", "-s", "rr")).isEqualTo(1);
        assertThat(err).startsWith("lbadm: No such service");
        assertThat(lbadm("-D", "-t", "127.0.0.9:80")).isEqualTo(1);
        assertThat(lbadm("-A", "-t", "10.0.0.1:80", "-s", "MH")).isEqualTo(2);
        assertThat(err).startsWith("lbadm: Scheduler not found");
        assertThat(lbadm("-A", "-t", "10.0.0.1:80", "-p", "-M", "255.0.255.0")).isEqualTo(2);
        assertThat(lbadm("-A", "-t", "10.0.0.1:80", "-s", "rr", "-b", "sh-port")).isEqualTo(2);
        assertThat(lbadm("-A", "-t", "10.0.0.1:80", "-p", "0")).isEqualTo(2);
        assertThat(err).isEqualTo("lbadm: invalid timeout value `0' specified\n");
        assertThat(lbadm("-D")).isEqualTo(2);
    }

    @Test
    void reloadIsSentToTheDaemon() {
        assertThat(lbadm("--reload")).isZero();
        assertThat(handler.reloads).isEqualTo(1);
        assertThat(out).contains("configuration reloaded");
    }

    @Test
    void saysClearlyWhenNoLbdIsRunning() {
        server.close();
        assertThat(lbadm("-Ln")).isEqualTo(1);
        assertThat(err).startsWith("lbadm: no lbd is running on the control socket " + socket).doesNotContain("Exception");
    }
}
