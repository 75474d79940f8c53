package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import lbd.config.model.ClusterConfig;
import lbd.config.model.DaemonStatus;
import lbd.config.model.EmailAlert;
import lbd.config.model.VirtualService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** monitorfile, the alert mail's directives, servicename, comment and checkcount, as ldirectord reads them. */
class ReportingDirectivesTest {

    @TempDir
    Path dir;

    @Test
    void alertSettingsAreTheServicesOwnElseTheGlobalOnes() {
        ClusterConfig config = Fixtures.loaded("""
                emailalert="ops@example.com, oncall@example.com"
                emailalertfreq=300
                emailalertstatus=starting,running
                emailalertfrom=lbd@director.example.com
                smtp=mail.example.com
                checkcount=3
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=ping
                virtual=10.0.0.1:8081
                \treal=10.0.0.2:8081 masq
                \tchecktype=ping
                \temailalert=web@example.com
                \temailalertfreq=0
                \temailalertstatus=none
                \tsmtp=127.0.0.1:2525
                \tcheckcount=1
                \tservicename=Web farm
                \tcomment="behind the office firewall"
                """);
        assertThat(config.globals().emailAlertFrom()).contains("lbd@director.example.com");
        VirtualService first = config.virtualServices().get(0);
        assertThat(first.reporting().emailAlert()).contains(new EmailAlert(
                List.of("ops@example.com", "oncall@example.com"),
                Optional.of(new EmailAlert.Relay("mail.example.com", 25)), Duration.ofSeconds(300),
                EnumSet.of(DaemonStatus.STARTING, DaemonStatus.RUNNING)));
        assertThat(first.healthCheck().checkCount()).isEqualTo(3);
        assertThat(first.reporting().serviceName()).isEmpty();

        VirtualService second = config.virtualServices().get(1);
        assertThat(second.reporting().emailAlert()).contains(new EmailAlert(List.of("web@example.com"),
                Optional.of(new EmailAlert.Relay("127.0.0.1", 2525)), Duration.ZERO, EnumSet.noneOf(DaemonStatus.class)));
        assertThat(second.healthCheck().checkCount()).isEqualTo(1);
        assertThat(second.reporting().serviceName()).contains("Web farm");
        assertThat(second.reporting().comment()).contains("behind the office firewall");
    }

    @Test
    void withoutARecipientThereIsNoMailAndDefaultsAreLdirectords() {
        VirtualService vs = Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tsmtp=mail\n")
                .virtualServices().getFirst();
        assertThat(vs.reporting().emailAlert()).isEmpty();
        assertThat(vs.healthCheck().checkCount()).isEqualTo(1);
        VirtualService alerted = Fixtures.loaded("emailalert=root\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n")
                .virtualServices().getFirst();
        assertThat(alerted.reporting().emailAlert()).contains(new EmailAlert(List.of("root"), Optional.empty(),
                Duration.ZERO, EnumSet.allOf(DaemonStatus.class)));
    }

    @Test
    void badAlertValuesAreErrorsOnTheirLines() {
        assertThat(Fixtures.onlyError("emailalertstatus=none,running\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: emailalertstatus: none cannot be combined with other statuses; write none alone");
        assertThat(Fixtures.onlyError("emailalertstatus=sometimes\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n"))
                .isEqualTo("test.cf:1: emailalertstatus: \"sometimes\" is not one of all, none, starting, running,"
                        + " stopping, reloading (comma separated)");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tsmtp=mail example\n"))
                .startsWith("test.cf:3: smtp: \"mail example\" is not a mail relay; write smtp=HOST or smtp=HOST:PORT");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tcheckcount=0\n"))
                .startsWith("test.cf:3: checkcount: ");
    }

    @Test
    void aMonitorfileMustBeAnAbsolutePathLbdCanAppendTo() {
        Path file = dir.resolve("checks.log");
        VirtualService vs = Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tmonitorfile=\"" + file
                + "\"\n").virtualServices().getFirst();
        assertThat(vs.reporting().monitorFile()).contains(file);
        assertThat(file).as("--check creates nothing").doesNotExist();
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tmonitorfile=checks.log\n"))
                .isEqualTo("test.cf:3: monitorfile: \"checks.log\" is not an absolute path; write it from /");
        assertThat(Fixtures.onlyError("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tmonitorfile=" + dir.resolve("no/checks.log")
                + "\n")).isEqualTo("test.cf:3: monitorfile: unable to open \"" + dir.resolve("no/checks.log")
                + "\" for appending (its directory does not exist)");
    }
}
