package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import lbd.config.model.CheckCredentials;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.LogFormat;
import lbd.config.model.LogLevel;
import lbd.config.model.Transport;
import lbd.config.model.VirtualService;
import org.junit.jupiter.api.Test;

/** ldirectord's defaults, global values as per-service defaults, lbd's extensions, and the accepted syntax. */
class DefaultsAndDirectivesTest {

    @Test
    void defaultsAreLdirectords() {
        ClusterConfig config = Fixtures.loaded("virtual=10.0.0.1:443\n\treal=10.0.0.2:443 gate\n");
        VirtualService vs = config.virtualServices().getFirst();
        assertThat(vs.scheduler()).isEqualTo(SchedulerKind.WRR);
        assertThat(vs.quiescent()).isTrue();
        assertThat(vs.healthCheck().type()).isEqualTo(CheckType.NEGOTIATE);
        assertThat(vs.healthCheck().service()).isEqualTo(ServiceType.HTTPS); // derived from port 443
        assertThat(vs.healthCheck().checkInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(vs.healthCheck().checkTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(vs.healthCheck().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(vs.healthCheck().negotiateTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(vs.healthCheck().failureCount()).isEqualTo(1);
        assertThat(vs.healthCheck().httpMethod()).isEqualTo("GET");
        assertThat(vs.realServers().getFirst().weight()).isEqualTo(1);
        assertThat(vs.maxConnections()).isZero();
        assertThat(vs.idleTimeout()).isEmpty(); // not written
        assertThat(vs.effectiveIdleTimeout(Duration.ofSeconds(300))).isEqualTo(Duration.ofSeconds(900));
        assertThat(config.globals().cleanStop()).isTrue();
        assertThat(config.globals().sloppyTcp()).as("IPVS: sloppy_tcp 0").isFalse();
        assertThat(config.globals().warmUp()).isTrue();
        assertThat(config.globals().transport()).isEqualTo(Transport.AUTO);
        assertThat(config.globals().logLevel()).isEqualTo(LogLevel.INFO);
        assertThat(config.globals().logFormat()).isEqualTo(LogFormat.TEXT);
    }

    @Test
    void udpIsLdirectordsDefaultForPort53AndFollowsTheUdpTimeoutInForceUnlessIdletimeoutIsWritten() {
        ClusterConfig config = Fixtures.loaded("virtual=10.0.0.1:53\n\treal=10.0.0.2:53 masq\n\tservice=none\n"
                + "virtual=10.0.0.1:5353\n\tprotocol=udp\n\treal=10.0.0.2 masq\n\tchecktype=ping\n"
                + "\tidletimeout=30\n\tmaxconns=0\n"
                + "virtual=10.0.0.1:5354\n\tprotocol=tcp\n\treal=10.0.0.2 masq\n\tchecktype=connect\n");
        VirtualService dns = config.virtualServices().get(0);
        assertThat(dns.protocol()).isEqualTo(Protocol.UDP);
        assertThat(dns.idleTimeout()).isEmpty();
        // Without idletimeout=, the udp timeout in force (IPVS's 300 s, or what lbadm --set made it).
        assertThat(dns.effectiveIdleTimeout(Duration.ofSeconds(300))).isEqualTo(Duration.ofSeconds(300));
        assertThat(dns.effectiveIdleTimeout(Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
        assertThat(dns.maxConnections()).isEqualTo(65_536);
        VirtualService own = config.virtualServices().get(1);
        assertThat(own.protocol()).isEqualTo(Protocol.UDP);
        assertThat(own.idleTimeout()).contains(Duration.ofSeconds(30));
        assertThat(own.effectiveIdleTimeout(Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(30)); // its own
        assertThat(own.maxConnections()).isZero(); // written: no per-service cap (the process's ceiling still holds)
        VirtualService tcp = config.virtualServices().get(2);
        assertThat(tcp.protocol()).isEqualTo(Protocol.TCP);
        assertThat(tcp.effectiveIdleTimeout(Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(900)); // not --set's
        assertThat(tcp.maxConnections()).isZero();
    }

    @Test
    void aRadiusServiceCarriesItsLoginPasswordAndSecretToItsCheck() {
        VirtualService radius = Fixtures.loaded("virtual=10.0.0.1:1812\n\tprotocol=udp\n\treal=10.0.0.2 masq\n"
                + "\tlogin=\"probe\"\n\tpasswd=\"pw\"\n\tsecret=\"s3cret\"\n").virtualServices().getFirst();
        assertThat(radius.healthCheck().service()).isEqualTo(ServiceType.RADIUS); // from port 1812
        assertThat(radius.healthCheck().credentials().login()).contains("probe");
        assertThat(radius.healthCheck().credentials().passwd()).contains("pw");
        assertThat(radius.healthCheck().credentials().secret()).contains("s3cret");
        assertThat(radius.healthCheck().credentials().toString()).doesNotContain("s3cret").doesNotContain("pw\"");
    }

    @Test
    void opsIsAcceptedWithoutEffectOnTcpAsIpvsIgnoresItThere() {
        assertThat(Fixtures.loaded("virtual=10.0.0.1:80\n\treal=10.0.0.2 masq\n\tservice=none\n\tops=yes\n")
                .virtualServices()).hasSize(1);
    }

    @Test
    void globalValuesAreDefaultsThatABlockOverrides() {
        ClusterConfig config = Fixtures.loaded("""
                checkinterval=7
                negotiatetimeout=12
                failurecount=3
                quiescent=no
                fallback=127.0.0.1 masq
                fallbackcommand="/usr/local/bin/sorry"
                virtual=10.0.0.1:8080
                    real=10.0.0.2:8080 masq
                    service=simpletcp
                virtual=10.0.0.1:8081
                    real=10.0.0.2:8081 masq
                    checkinterval=2
                    checktimeout=4
                    failurecount=2
                    quiescent=yes
                    fallback=127.0.0.1:9999 masq
                    checktype=connect
                """);
        VirtualService first = config.virtualServices().get(0);
        VirtualService second = config.virtualServices().get(1);
        assertThat(first.healthCheck().checkInterval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(first.healthCheck().negotiateTimeout()).isEqualTo(Duration.ofSeconds(12));
        assertThat(first.healthCheck().checkTimeout()).isEqualTo(Duration.ofSeconds(12)); // from negotiatetimeout
        assertThat(first.healthCheck().failureCount()).isEqualTo(3);
        assertThat(first.quiescent()).isFalse();
        assertThat(first.fallback()).hasValueSatisfying(f -> assertThat(f.address().toString()).isEqualTo("127.0.0.1:8080"));
        assertThat(first.fallbackCommand()).contains("/usr/local/bin/sorry");
        assertThat(first.healthCheck().service()).isEqualTo(ServiceType.SIMPLETCP);

        assertThat(second.healthCheck().checkInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(second.healthCheck().checkTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(second.healthCheck().negotiateTimeout()).isEqualTo(Duration.ofSeconds(4)); // its own checktimeout
        assertThat(second.healthCheck().failureCount()).isEqualTo(2);
        assertThat(second.quiescent()).isTrue();
        assertThat(second.fallback()).hasValueSatisfying(f -> assertThat(f.address().toString()).isEqualTo("127.0.0.1:9999"));
        assertThat(second.healthCheck().type()).isEqualTo(CheckType.CONNECT);
        assertThat(second.healthCheck().service()).isEqualTo(ServiceType.NONE); // port 8081
    }

    @Test
    void rangesPortNamesHostNamesAndPerRealChecks() {
        ClusterConfig config = Fixtures.loaded("""
                virtual=web1.test:http
                \treal=192.168.6.2->192.168.6.4:http gate
                \treal=web2.test gate 5 "/alive", "OK"
                \tchecktype=3
                \thttpmethod=head
                \tvirtualhost="www.example.com"
                \tcheckport=8080
                \tpersistent=600
                \tnetmask=255.255.255.0
                \tmaxconns=1000
                \tidletimeout=60
                """);
        VirtualService vs = config.virtualServices().getFirst();
        assertThat(vs.address().toString()).isEqualTo("192.0.2.11:80");
        assertThat(vs.realServers()).extracting(r -> r.address().toString())
                .containsExactly("192.168.6.2:80", "192.168.6.3:80", "192.168.6.4:80", "192.0.2.12:80");
        var last = vs.realServers().getLast();
        assertThat(last.weight()).isEqualTo(5);
        assertThat(last.request()).contains("/alive");
        assertThat(last.receive()).contains("OK");
        assertThat(vs.realServers()).extracting(r -> r.line()).containsExactly(2, 2, 2, 3);
        assertThat(vs.healthCheck().type()).isEqualTo(CheckType.COMBINED);
        assertThat(vs.healthCheck().connectChecksPerNegotiate()).isEqualTo(3);
        assertThat(vs.healthCheck().httpMethod()).isEqualTo("HEAD");
        assertThat(vs.healthCheck().virtualHost()).contains("www.example.com");
        assertThat(vs.healthCheck().checkPort()).contains(8080);
        assertThat(vs.persistence()).hasValue(600);
        assertThat(vs.netmask()).contains("255.255.255.0");
        assertThat(vs.maxConnections()).isEqualTo(1000);
        assertThat(vs.idleTimeout()).contains(Duration.ofSeconds(60));
        assertThat(CheckSummary.format(Fixtures.loaded("virtual=10.0.0.1:80\n real=10.0.0.2:80 gate\n persistent=60\n")))
                .startsWith("TCP  10.0.0.1:80 wrr persistent 60\n");
        assertThat(CheckSummary.format(Fixtures.loaded(
                "virtual=10.0.0.1:80\n real=10.0.0.2:80 gate\n persistent=60\n netmask=255.255.255.0\n scheduler=mh\n")))
                .startsWith("TCP  10.0.0.1:80 mh persistent 60 mask 255.255.255.0\n");
        assertThat(Fixtures.loaded("virtual=10.0.0.1:80\n real=10.0.0.2:80 gate\n persistent=60\n"
                + " netmask=255.255.255.255\n").virtualServices().getFirst().listedNetmask())
                .as("the whole address, which ipvsadm does not list").isEmpty();
    }

    @Test
    void connectionThresholdsInLdirectordsSyntaxAfterTheWeightAndTheRequestReceive() {
        ClusterConfig config = Fixtures.loaded("""
                virtual=10.0.0.1:80
                \treal=10.0.0.2:80 gate 2 "/alive", "OK" l:5 u:10
                \treal=10.0.0.3:80 gate u:8
                \treal=10.0.0.4:80 gate 3
                \treal=10.0.0.5:80 gate l:0 u:0
                """);
        List<RealServer> reals = config.virtualServices().getFirst().realServers();
        assertThat(reals).extracting(RealServer::thresholds).containsExactly(new ConnectionThresholds(10, 5),
                new ConnectionThresholds(8, 0), ConnectionThresholds.NONE, ConnectionThresholds.NONE);
        assertThat(reals.getFirst().weight()).isEqualTo(2);
        assertThat(reals.getFirst().receive()).contains("OK");
        assertThat(CheckSummary.format(config)).contains(
                "  -> 10.0.0.5:80                  Route   1\n",
                "  -> 10.0.0.3:80                  Route   1 thresholds u:8 l:0\n",
                "  -> 10.0.0.2:80                  Route   2 thresholds u:10 l:5\n");
    }

    @Test
    void theCheckSummarySaysWhichSchedulerPersistenceAndThresholdsAreInForce() {
        ClusterConfig config = Fixtures.loaded("""
                virtual=10.0.0.1:443
                \treal=10.0.0.2:443 gate u:100
                \treal=10.0.0.3:443 gate 2 l:20 u:50
                \tscheduler=mh
                \tmhtablesize=251
                \tschedflags=mh-fallback,mh-port
                \tpersistent=300
                \tnetmask=255.255.255.0
                \tchecktype=on
                virtual6=[2001:db8::1]:80
                \treal6=[2001:db8::2]:80 masq
                \tscheduler=sed
                \tpersistent=60
                \tnetmask=64
                \tchecktype=on
                """);
        assertThat(CheckSummary.format(config).lines()).containsExactly(
                "TCP  10.0.0.1:443 mh (mh-fallback,mh-port) persistent 300 mask 255.255.255.0",
                "  -> 10.0.0.3:443                 Route   2 thresholds u:50 l:20",
                "  -> 10.0.0.2:443                 Route   1 thresholds u:100 l:0",
                "  = scheduler mh: Maglev hashing, 251 slots; mh-fallback: a client whose server is unavailable goes"
                        + " to the next usable one; mh-port: the client's source port is hashed too",
                "  = persistence: 300 s per client network (netmask 255.255.255.0): its connections go to one real"
                        + " server while its template lives",
                "  = connection thresholds: 10.0.0.3:443 full at 50, back below 20; 10.0.0.2:443 full at 100, back"
                        + " below 75",
                "TCP  [2001:db8:0:0:0:0:0:1]:80 sed persistent 60 mask 64",
                "  -> [2001:db8:0:0:0:0:0:2]:80    Masq    1",
                "  = scheduler sed: shortest expected delay, least (active + 1) / weight",
                "  = persistence: 60 s per client network (netmask /64): its connections go to one real server while"
                        + " its template lives",
                "  = connection thresholds: none",
                "3 real servers in 2 virtual services; checks: on (always up)");
    }

    @Test
    void ipv6ServicesWithBrackets() {
        ClusterConfig config = Fixtures.loaded("""
                virtual6=[2001:db8::5]:80
                \treal6=[2001:db8:0:1::4]:80 masq
                \treal6=web6.test:80 masq
                \tfallback6=[::1]:80 masq
                """);
        VirtualService vs = config.virtualServices().getFirst();
        assertThat(vs.address().toString()).isEqualTo("[2001:db8:0:0:0:0:0:5]:80");
        assertThat(vs.realServers()).hasSize(2);
        assertThat(vs.fallback()).isPresent();
    }

    @Test
    void lbdExtensionsAndAcceptedLdirectordDirectives() {
        ClusterConfig config = Fixtures.loaded("""
                transport=epoll
                eventloops=4
                maxconn=20000
                controlsocket=/run/lbd.sock
                metrics=127.0.0.1:9100
                interface=eth0
                loglevel=debug
                logformat=json
                sloppytcp=yes
                warmup=no
                xdp=yes
                supervised
                fork=yes
                cleanstop=no
                maintenancedir=/etc/lbd/maintenance
                emailalert="admin@example.com"
                emailalertfreq=3600
                emailalertstatus=starting,running
                emailalertfrom=lbd@example.com
                smtp=mail.example.com
                readdquiescent=no
                checkcount=3
                callback="/usr/local/bin/sync"
                autoreload=yes
                virtual=10.0.0.1:25
                \treal=10.0.0.2:25 masq
                \tchecktype=connect
                \tservicename=Mail
                \tcomment=Relay for the office
                \tlogin="anonymous"
                \tpasswd="secret"
                \tmonitorfile="/tmp/lbd-monitor.log"
                \temailalert="ops@example.com"
                \tcleanstop=yes
                """);
        var g = config.globals();
        assertThat(g.transport()).isEqualTo(Transport.EPOLL);
        assertThat(g.eventLoops()).isEqualTo(4);
        assertThat(g.maxConnections()).isEqualTo(20000);
        assertThat(g.controlSocket()).contains(Path.of("/run/lbd.sock"));
        assertThat(g.metricsAddress()).hasValueSatisfying(e -> assertThat(e.toString()).isEqualTo("127.0.0.1:9100"));
        assertThat(g.networkInterfaces()).containsExactly("eth0");
        assertThat(g.logLevel()).isEqualTo(LogLevel.DEBUG);
        assertThat(g.logFormat()).isEqualTo(LogFormat.JSON);
        assertThat(g.supervised()).isTrue();
        assertThat(g.forkingMode()).isTrue();
        assertThat(g.cleanStop()).isFalse();
        assertThat(g.sloppyTcp()).isTrue();
        assertThat(g.xdp()).isTrue();
        assertThat(g.warmUp()).isFalse();
        assertThat(g.autoreload()).isTrue();
        assertThat(g.maintenanceDir()).contains(Path.of("/etc/lbd/maintenance"));
        assertThat(g.emailAlert()).contains("admin@example.com");
        assertThat(g.callback()).contains("/usr/local/bin/sync");
        // smtp checks are not implemented, but a connect check does not speak smtp: accepted.
        assertThat(config.virtualServices().getFirst().healthCheck().service()).isEqualTo(ServiceType.SMTP);
        assertThat(config.virtualServices().getFirst().forwarding()).isEqualTo(ForwardingMethod.MASQ);
    }

    @Test
    void blankLinesAndCommentsInsideABlockDoNotEndIt() {
        ClusterConfig config = Fixtures.loaded("""
                virtual=10.0.0.1:80   # the web site

                \t# first server
                \treal=10.0.0.2:80 gate

                \treal=10.0.0.3:80 gate
                \treceive="a#b"
                """);
        assertThat(config.virtualServices().getFirst().realServers()).hasSize(2);
        assertThat(config.virtualServices().getFirst().healthCheck().receive()).contains("a#b");
    }

    @Test
    void aVirtualServiceWithoutRealServersIsAllowedAndTheSummarySaysSo() {
        ClusterConfig config = Fixtures.loaded("virtual=10.0.0.1:80\n\tservice=http\n");
        assertThat(config.virtualServices().getFirst().realServers()).isEmpty();
        assertThat(CheckSummary.format(config)).isEqualTo("""
                TCP  10.0.0.1:80 wrr
                  (no real servers: connections are refused)
                  = scheduler wrr: weighted round robin
                  = persistence: none (each connection is scheduled)
                  = connection thresholds: none
                0 real servers in 1 virtual service; checks: negotiate http every 10s
                """);
    }

    @Test
    void loginPasswdAndDatabaseReachTheCheckAndThePasswordStaysOutOfItsText() {
        ClusterConfig config = Fixtures.loaded("""
                virtual=10.0.0.1:3306
                \treal=10.0.0.2:3306 masq
                \tservice=mysql
                \tlogin="readuser"
                \tpasswd="genericpassword"
                \tdatabase="portal"
                \trequest="SELECT * FROM link"
                """);
        CheckCredentials credentials = config.virtualServices().getFirst().healthCheck().credentials();
        assertThat(credentials).isEqualTo(new CheckCredentials(Optional.of("readuser"), Optional.of("genericpassword"),
                Optional.of("portal")));
        assertThat(credentials.toString()).doesNotContain("genericpassword");
        assertThat(Fixtures.loaded("virtual=10.0.0.1:21\n\treal=10.0.0.2:21 masq\n").virtualServices().getFirst()
                .healthCheck().credentials()).isEqualTo(CheckCredentials.NONE);
    }
}
