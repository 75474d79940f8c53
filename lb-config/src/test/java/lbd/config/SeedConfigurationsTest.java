package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import lbd.config.model.CheckType;
import lbd.config.model.ClusterConfig;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualService;
import org.junit.jupiter.api.Test;

/** The two field guides' configurations, exactly as printed, load into the model they describe. */
class SeedConfigurationsTest {

    @Test
    void seed1CentOs5DirectRoutingWithOneSpaceIndentation() {
        ClusterConfig config = Fixtures.loaded(Fixtures.resource("seed1-centos5-dr.cf"));

        assertThat(config.globals().autoreload()).isFalse();
        assertThat(config.globals().logfile()).contains("/var/log/ldirectord.log");
        assertThat(config.virtualServices()).hasSize(1);
        VirtualService vs = config.virtualServices().getFirst();
        assertThat(vs.key().toString()).isEqualTo("TCP 10.10.10.60:80");
        assertThat(vs.line()).isEqualTo(6);
        assertThat(vs.protocol()).isEqualTo(Protocol.TCP);
        assertThat(vs.scheduler()).isEqualTo(SchedulerKind.WRR);
        assertThat(vs.quiescent()).isFalse();
        assertThat(vs.forwarding()).isEqualTo(ForwardingMethod.GATE);
        assertThat(vs.realServers()).extracting(r -> r.address().toString()).containsExactly("10.10.10.62:80", "10.10.10.63:80");
        assertThat(vs.realServers()).extracting(RealServer::weight).containsExactly(1, 1);
        assertThat(vs.realServers()).extracting(RealServer::line).containsExactly(7, 8);
        assertThat(vs.ipvsOrder()).extracting(r -> r.address().toString()).containsExactly("10.10.10.63:80", "10.10.10.62:80");
        var check = vs.healthCheck();
        assertThat(check.type()).isEqualTo(CheckType.NEGOTIATE);
        assertThat(check.service()).isEqualTo(ServiceType.HTTP);
        assertThat(check.request()).contains("test.html");
        assertThat(check.receive()).contains("foo");
        assertThat(check.checkInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(check.checkTimeout()).isEqualTo(Duration.ofSeconds(10));
        // negotiatetimeout and connecttimeout are unset, so they take checktimeout (man ldirectord).
        assertThat(check.negotiateTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(check.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(check.failureCount()).isEqualTo(1);
        assertThat(check.httpMethod()).isEqualTo("GET");
        assertThat(vs.effectiveIdleTimeout(Duration.ofSeconds(300))).isEqualTo(Duration.ofSeconds(900));
        assertThat(vs.fallback()).isEmpty();
    }

    @Test
    void seed2CentOs6HeartbeatWithTabsAndSpacesAroundEquals() {
        ClusterConfig config = Fixtures.loaded(Fixtures.resource("seed2-centos6-heartbeat.cf"));

        VirtualService vs = config.virtualServices().getFirst();
        assertThat(config.virtualServices()).hasSize(1);
        assertThat(vs.key().toString()).isEqualTo("TCP 10.8.8.45:80");
        assertThat(vs.line()).isEqualTo(17);
        assertThat(vs.scheduler()).isEqualTo(SchedulerKind.WLC);
        assertThat(vs.quiescent()).isTrue();
        assertThat(vs.realServers()).extracting(r -> r.address().toString()).containsExactly("10.8.8.48:80", "10.8.8.49:80");
        assertThat(vs.realServers()).extracting(RealServer::forwarding).containsOnly(ForwardingMethod.GATE);
        assertThat(vs.realServers()).extracting(RealServer::weight).containsExactly(1, 1);
        assertThat(vs.healthCheck().service()).isEqualTo(ServiceType.HTTP);
        assertThat(vs.healthCheck().request()).contains("lbcheck.html");
        assertThat(vs.healthCheck().receive()).contains("found");
        assertThat(vs.healthCheck().checkInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(vs.healthCheck().checkTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(vs.healthCheck().negotiateTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void seed2SummaryListsRealServersLastAddedFirstLikeIpvsadm() {
        ClusterConfig config = Fixtures.loaded(Fixtures.resource("seed2-centos6-heartbeat.cf"));

        assertThat(CheckSummary.format(config)).isEqualTo("""
                TCP  10.8.8.45:80 wlc
                  -> 10.8.8.49:80                 Route   1
                  -> 10.8.8.48:80                 Route   1
                  = scheduler wlc: least connections (active*256 + inactive) per weight
                  = persistence: none (each connection is scheduled)
                  = connection thresholds: none
                2 real servers in 1 virtual service; checks: negotiate http every 5s
                """);
    }

    @Test
    void blogRepostOfSeed1WithTypographicQuotesIsRejectedOnEachQuotedLine() {
        List<ConfigError> errors = Fixtures.errors(Fixtures.resource("seed1-reprint-typographic.cf"));

        List<ConfigError> quotes = errors.stream().filter(e -> e.message().contains("typographic quote")).toList();
        assertThat(quotes).extracting(ConfigError::line).containsExactly(7, 19, 21);
        assertThat(quotes.getFirst().toString()).isEqualTo("test.cf:7: logfile: typographic quote RIGHT DOUBLE"
                + " QUOTATION MARK (U+201D) at column 9; use straight double quotes (\") instead");
        assertThat(quotes).extracting(e -> e.message().substring(0, e.message().indexOf(':')))
                .containsExactly("logfile", "request", "receive");
        // The repost also lost the block's indentation: every per-service line is reported, none silently dropped.
        assertThat(errors).filteredOn(e -> e.message().contains("is not indented"))
                .extracting(ConfigError::line).containsExactly(13, 15, 17, 23, 25, 27);
    }

    @Test
    void demoStyleMasqConfigurationMapsPorts() {
        ClusterConfig config = Fixtures.loaded("""
                checktimeout=3
                virtual=127.0.0.1:8080
                \treal=127.0.0.1:9001 masq
                \treal=127.0.0.1:9002 masq 3
                \tservice=http
                \trequest="index.html"
                \treceive="This is"
                \tscheduler=rr
                """);
        VirtualService vs = config.virtualServices().getFirst();
        assertThat(vs.forwarding()).isEqualTo(ForwardingMethod.MASQ);
        assertThat(vs.realServers()).extracting(r -> r.address().port()).containsExactly(9001, 9002);
        assertThat(vs.realServers()).extracting(RealServer::weight).containsExactly(1, 3);
        assertThat(vs.healthCheck().negotiateTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.source()).isEqualTo(Optional.empty());
    }
}
