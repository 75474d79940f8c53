package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every directive lbd accepts without effect is named on its line with why; none is silently ignored. */
class NoEffectWarningsTest {

    /** Every directive lbd accepts without effect, each once, in its scope. */
    private static final String EVERY_ACCEPTED = """
            fork=yes
            readdquiescent=yes
            virtual=10.0.0.1:8080
            \treal=10.0.0.2:8080 masq
            \tchecktype=connect
            \tops=no
            \tload="test"
            """;

    @Test
    void eachDirectiveAcceptedWithoutEffectIsWarnedAboutOnItsLine() {
        List<String> warnings = Fixtures.warnings(EVERY_ACCEPTED);
        List<Directive> accepted = Arrays.stream(Directive.values())
                .filter(d -> d.support == Directive.Support.ACCEPTED).toList();
        for (Directive d : accepted) {
            assertThat(warnings).as("warning for %s", d.configName)
                    .anyMatch(w -> w.matches("test\\.cf:\\d+: warning: " + d.configName + " has no effect in lbd because .+"));
        }
        assertThat(warnings).hasSize(accepted.size());
        assertThat(warnings.getFirst()).isEqualTo("test.cf:1: warning: fork has no effect in lbd because lbd checks"
                + " every real server concurrently, each on its own checkinterval, without forking (as ldirectord does"
                + " with fork=yes)");
        assertThat(warnings).contains("test.cf:6: warning: ops has no effect in lbd because IPVS applies one-packet"
                + " scheduling to UDP services only, and this one is TCP");
        assertThat(warnings).contains("test.cf:7: warning: load has no effect in lbd because ldirectord's parser"
                + " only stores it (an undocumented \"string for load testing\") and nothing in ldirectord reads it");
    }

    @Test
    void cleanstopNoGloballyIsActedOnButInABlockIsWarnedAboutWhateverItsValue() {
        List<String> warnings = Fixtures.warnings("""
                cleanstop=no
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=connect
                \tcleanstop="no"
                virtual=10.0.0.1:8081
                \treal=10.0.0.2:8081 masq
                \tchecktype=connect
                \tcleanstop=yes
                """);
        assertThat(warnings).containsExactly(
                "test.cf:5: warning: cleanstop in a virtual block has no effect in lbd because lbd keeps the"
                        + " direct-routing connections of every service across a restart, or of none: set"
                        + " cleanstop=no globally",
                "test.cf:9: warning: cleanstop in a virtual block has no effect in lbd because lbd keeps the"
                        + " direct-routing connections of every service across a restart, or of none: set"
                        + " cleanstop=no globally");
    }

    @Test
    void aConfigurationOfActedDirectivesHasNoWarning() {
        assertThat(Fixtures.warnings("""
                checkinterval=5
                quiescent=no
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \trequest="/health"
                \treceive="ok"
                """)).isEmpty();
    }

    // ---- check directives the service's check does not read ----

    /** The check directives, each with a value every service accepts. */
    private static final Map<String, String> CHECK_DIRECTIVES = Map.ofEntries(
            Map.entry("request", "\"http://www.example.com/\""), Map.entry("receive", "\"ok\""),
            Map.entry("httpmethod", "GET"), Map.entry("virtualhost", "www.example.com"),
            Map.entry("login", "\"lbd\""), Map.entry("passwd", "\"secret\""), Map.entry("database", "\"db\""),
            Map.entry("secret", "\"s3\""), Map.entry("checkport", "8081"), Map.entry("checkcommand", "/bin/true"),
            Map.entry("checkcount", "2"));

    /**
     * What each of ldirectord's check_SERVICE subroutines reads ($$v{...} and $$r{request}/$$r{receive}; checkport
     * through ld_checkport), written out from /usr/sbin/ldirectord: the reference the warnings must agree with.
     */
    private static final Map<String, Set<String>> LDIRECTORD_READS = Map.ofEntries(
            Map.entry("http", Set.of("request", "receive", "httpmethod", "virtualhost", "checkport")),
            Map.entry("https", Set.of("request", "receive", "httpmethod", "virtualhost", "checkport")),
            Map.entry("http_proxy", Set.of("request", "receive", "httpmethod", "checkport")),
            Map.entry("ftp", Set.of("request", "receive", "login", "passwd", "checkport")),
            Map.entry("smtp", Set.of("checkport")),
            Map.entry("submission", Set.of("checkport")),
            Map.entry("pop", Set.of("login", "passwd", "checkport")),
            Map.entry("pops", Set.of("login", "passwd", "checkport")),
            Map.entry("imap", Set.of("login", "passwd", "checkport")),
            Map.entry("imaps", Set.of("login", "passwd", "checkport")),
            Map.entry("nntp", Set.of("checkport")),
            Map.entry("ldap", Set.of("request", "receive", "login", "passwd", "checkport")),
            Map.entry("ldaps", Set.of("request", "receive", "login", "passwd", "checkport")),
            Map.entry("mysql", Set.of("request", "login", "passwd", "database", "checkport")),
            Map.entry("pgsql", Set.of("request", "login", "passwd", "database", "checkport")),
            Map.entry("simpletcp", Set.of("request", "receive", "checkport")),
            Map.entry("dns", Set.of("request", "receive", "checkport")),
            Map.entry("radius", Set.of("login", "passwd", "secret", "checkport")),
            Map.entry("sip", Set.of("login", "checkport")),
            Map.entry("none", Set.of()));

    private static final Pattern NO_EFFECT = Pattern.compile("test\\.cf:(\\d+): warning: (\\w+) has no effect because .+");

    /** The directives warned about as having no effect, by name. */
    private static Set<String> warned(String text) {
        List<String> lines = text.lines().toList();
        Set<String> names = new TreeSet<>();
        for (String w : Fixtures.warnings(text)) {
            Matcher m = NO_EFFECT.matcher(w);
            assertThat(m.matches()).as(w).isTrue();
            assertThat(lines.get(Integer.parseInt(m.group(1)) - 1)).as("the line of " + w).startsWith("\t" + m.group(2) + "=");
            names.add(m.group(2));
        }
        return names;
    }

    private static String blockWithEveryCheckDirective(String head) {
        StringBuilder text = new StringBuilder("virtual=10.0.0.1:8080\n\treal=10.0.0.2:8080 masq\n" + head);
        CHECK_DIRECTIVES.forEach((name, value) -> text.append('\t').append(name).append('=').append(value).append('\n'));
        return text.toString();
    }

    @Test
    void eachNegotiateServiceWarnsAboutExactlyTheCheckDirectivesLdirectordsCheckOfItDoesNotRead() {
        LDIRECTORD_READS.forEach((service, reads) -> {
            Set<String> expected = new TreeSet<>(CHECK_DIRECTIVES.keySet());
            expected.removeAll(reads);
            assertThat(warned(blockWithEveryCheckDirective("\tservice=" + service + "\n"))).as("service=" + service)
                    .isEqualTo(expected);
        });
    }

    @Test
    void theOtherCheckTypesWarnAboutWhatTheyDoNotRead() {
        Set<String> all = new TreeSet<>(CHECK_DIRECTIVES.keySet());
        all.add("service");
        Map<String, Set<String>> reads = Map.of(
                "\tchecktype=connect\n", Set.of("checkport"),
                "\tchecktype=connect\n\tprotocol=udp\n", Set.of("checkcount"), // a ping, as ldirectord's
                "\tchecktype=ping\n", Set.of("checkcount"),
                "\tchecktype=external\n", Set.of("checkcommand"),
                "\tchecktype=on\n", Set.of(),
                "\tchecktype=off\n", Set.of(),
                // N connects (to checkport), then the service's negotiate check.
                "\tchecktype=3\n", Set.of("service", "checkport"),
                "\tchecktype=3\n\tprotocol=udp\n", Set.of("service", "checkport", "login", "passwd", "secret"));
        reads.forEach((head, read) -> {
            Set<String> expected = new TreeSet<>(all);
            expected.removeAll(read);
            String service = head.contains("udp") ? "\tservice=" + (head.contains("=3") ? "radius" : "none") + "\n"
                    : "\tservice=smtp\n";
            assertThat(warned(blockWithEveryCheckDirective(head + service))).as(head).isEqualTo(expected);
        });
    }

    @Test
    void withoutAnyCheckTheScheduleOfChecksAndTheirMonitorFileHaveNoEffectEither() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=on
                \tcheckinterval=5
                \tfailurecount=3
                \tnegotiatetimeout=9
                \tmonitorfile=/dev/null
                """)).containsExactly(
                "test.cf:4: warning: checkinterval has no effect because checktype=on runs no check (as in ldirectord)",
                "test.cf:5: warning: failurecount has no effect because checktype=on runs no check (as in ldirectord)",
                "test.cf:6: warning: negotiatetimeout has no effect because checktype=on runs no check (as in"
                        + " ldirectord)",
                "test.cf:7: warning: monitorfile has no effect because checktype=on runs no check (as in"
                        + " ldirectord)");
    }

    @Test
    void theFallbackOfAServiceWhoseServersAreNeverAllDownOrNeverActivatedHasNoEffect() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 masq
                \tchecktype=off
                \tfallback=10.0.0.9:80 masq
                \tfallbackcommand=/bin/true
                virtual=10.0.0.1:81
                \treal=10.0.0.2:81 masq
                \tchecktype=on
                \tfallback=10.0.0.9:81 masq
                virtual=10.0.0.1:82
                \tchecktype=on
                \tfallback=10.0.0.9:82 masq
                """)).containsExactly(
                "test.cf:4: warning: fallback has no effect because checktype=off activates no real or fallback"
                        + " server (as man ldirectord says)",
                "test.cf:5: warning: fallbackcommand has no effect because checktype=off activates no real or"
                        + " fallback server (as man ldirectord says)",
                "test.cf:9: warning: fallback has no effect because checktype=on keeps every real server in service,"
                        + " so the fallback never comes in"); // without real servers it serves at once
    }

    @Test
    void withAMaintenancedirChecktypeOnLooksAtItEachCheckintervalSoOnlyTheProbesSettingsAreWarnedAbout() {
        // ldirectord's check loop looks at maintenancedir before the check type, every checkinterval, logs
        // "Server in maintenance" to the monitorfile, and may so take every real server out (the fallback).
        assertThat(Fixtures.warnings("""
                maintenancedir=/tmp
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 masq
                \tchecktype=on
                \tcheckinterval=5
                \tfailurecount=3
                \tmonitorfile=/dev/null
                \tfallback=10.0.0.9:80 masq
                virtual=10.0.0.1:81
                \treal=10.0.0.2:81 masq
                \tchecktype=connect
                """)).containsExactly("test.cf:6: warning: failurecount has no effect because checktype=on only looks"
                + " at the maintenancedir, every checkinterval (as in ldirectord)");
    }

    @Test
    void theWarningNamesWhatTheCheckDoesRead() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:119
                \treal=10.0.0.2:119 masq
                \treceive="200 news"
                virtual=10.0.0.1:3306
                \treal=10.0.0.2:3306 masq
                \tlogin=lbd
                \trequest="SELECT 1"
                \treceive="1"
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=connect
                \tservice=http
                \tlogin=lbd
                """)).containsExactly(
                "test.cf:3: warning: receive has no effect because the check of service=nntp does not read it (of"
                        + " the check directives it reads only checkport, as ldirectord's)",
                "test.cf:8: warning: receive has no effect because the check of service=mysql does not read it (of"
                        + " the check directives it reads only request, checkport, login, passwd and database, as"
                        + " ldirectord's)",
                "test.cf:12: warning: service has no effect because the check of checktype=connect does not read it"
                        + " (of the check directives it reads only checkport, as ldirectord's)",
                "test.cf:13: warning: login has no effect because the check of checktype=connect does not read it"
                        + " (of the check directives it reads only checkport, as ldirectord's)");
    }

    @Test
    void aRealLinesOwnRequestAndReceiveAreWarnedAboutWhenTheCheckReadsNeither() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:25
                \treal=10.0.0.2:25 masq 1 "/", "ok"
                \treal=10.0.0.3:25 masq 1
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 masq 1 "/health", "ok"
                virtual=10.0.0.1:3306
                \treal=10.0.0.2:3306 masq 1 "SELECT 1", "1"
                \tlogin=lbd
                """)).containsExactly(
                "test.cf:2: warning: the request and receive of this real= line have no effect because the check of"
                        + " service=smtp does not read them (of the check directives it reads only checkport, as"
                        + " ldirectord's)",
                "test.cf:7: warning: the receive of this real= line has no effect because the check of service=mysql"
                        + " does not read it (of the check directives it reads only request, checkport, login, passwd"
                        + " and database, as ldirectord's)");
    }

    @Test
    void globalDefaultsAreNotWarnedAboutForTheServicesThatDoNotReadThem() {
        assertThat(Fixtures.warnings("""
                checkcount=3
                negotiatetimeout=9
                virtual=10.0.0.1:8080
                \treal=10.0.0.2:8080 masq
                \tchecktype=connect
                """)).isEmpty();
    }

    // ---- directives whose effect needs another ----

    @Test
    void netmaskWithoutPersistenceHasNoEffectAsInLdirectord() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \tnetmask=255.255.255.0
                virtual=10.0.0.1:443
                \treal=10.0.0.2:443 gate
                \tpersistent=300
                \tnetmask=255.255.255.0
                """)).containsExactly("test.cf:3: warning: netmask has no effect because this service has no"
                + " persistent= (netmask is the granularity of persistence; ldirectord passes it to ipvsadm only with"
                + " persistent=)");
    }

    @Test
    void theProxysCapAndIdleTimeoutHaveNoEffectOnADirectRoutedService() {
        assertThat(Fixtures.warnings("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \tmaxconns=100
                \tidletimeout=60
                virtual=10.0.0.1:81
                \treal=10.0.0.3 ipip
                \tidletimeout=60
                virtual=10.0.0.1:82
                \treal=10.0.0.4:82 masq
                \tmaxconns=100
                \tidletimeout=60
                """)).containsExactly(
                "test.cf:3: warning: maxconns has no effect because this service's real servers are direct-routed"
                        + " (gate or ipip): the direct-routing path caps no service, as IPVS does not; cap each real"
                        + " server with u:N on its real= line instead",
                "test.cf:4: warning: idletimeout has no effect because this service's real servers are"
                        + " direct-routed (gate or ipip): its connections follow IPVS's per-state timeouts; set them"
                        + " with lbadm --set tcp tcpfin udp",
                "test.cf:7: warning: idletimeout has no effect because this service's real servers are"
                        + " direct-routed (gate or ipip): its connections follow IPVS's per-state timeouts; set them"
                        + " with lbadm --set tcp tcpfin udp");
    }

    @Test
    void xdpWithoutADirectRoutedServiceHasNoEffect() {
        assertThat(Fixtures.warnings("""
                xdp=yes
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 masq
                """)).containsExactly("test.cf:1: warning: xdp has no effect because no virtual service is"
                + " direct-routed (gate or ipip): AF_XDP is how direct routing receives; the NAT proxy does not use it");
        assertThat(Fixtures.warnings("""
                xdp=yes
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                """)).isEmpty();
        assertThat(Fixtures.warnings("""
                xdp=no
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 masq
                """)).isEmpty();
    }

    @Test
    void alertMailSettingsWithoutARecipientHaveNoEffect() {
        assertThat(Fixtures.warnings("""
                emailalertfrom=lbd@example.com
                smtp=mail.example.com
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \tservicename=web
                \tcomment="the farm"
                \temailalertfreq=600
                """)).containsExactly(
                "test.cf:1: warning: emailalertfrom has no effect because no virtual service sends alert mail (no"
                        + " emailalert= recipient)",
                "test.cf:2: warning: smtp has no effect because no virtual service sends alert mail (no emailalert="
                        + " recipient)",
                "test.cf:5: warning: servicename has no effect because this service sends no alert mail (no"
                        + " emailalert= recipient, in the block or global)",
                "test.cf:6: warning: comment has no effect because this service sends no alert mail (no emailalert="
                        + " recipient, in the block or global)",
                "test.cf:7: warning: emailalertfreq has no effect because this service sends no alert mail (no"
                        + " emailalert= recipient, in the block or global)");
    }

    @Test
    void alertMailSettingsAreQuietWhereARecipientIsGlobalOrInTheBlock() {
        assertThat(Fixtures.warnings("""
                emailalertfrom=lbd@example.com
                smtp=mail.example.com
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \temailalert=ops@example.com
                \tservicename=web
                """)).isEmpty();
        assertThat(Fixtures.warnings("""
                emailalert=ops@example.com
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate
                \tservicename=web
                \temailalertstatus=all
                """)).isEmpty();
    }
}
