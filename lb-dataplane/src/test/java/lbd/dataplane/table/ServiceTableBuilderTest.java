package lbd.dataplane.table;

import static lbd.dataplane.table.TestTables.SERVICE;
import static lbd.dataplane.table.TestTables.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import lbd.config.model.CheckType;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.HealthCheck;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualService;
import org.junit.jupiter.api.Test;

class ServiceTableBuilderTest {

    private static final RealServerKey FALLBACK = new RealServerKey(SERVICE, Endpoint.of("127.0.0.1", 80));

    // real= lines in file order: A (weight 3), B (weight 1), C (weight 2)
    private final VirtualService service = service(SchedulerKind.WLC,
            List.of(real(server(0), 3), real(server(1), 1), real(server(2), 2)), Optional.of(real(FALLBACK, 1)));

    @Test
    void listsServersInIpvsOrderWithConfiguredWeights() {
        ServiceTable table = ServiceTableBuilder.build(service, Map.of(), Set.of());
        assertThat(table.key()).isEqualTo(SERVICE);
        assertThat(table.scheduler()).isEqualTo(SchedulerKind.WLC);
        assertThat(table.destinations()).containsExactly(
                new Destination(0, server(2), ForwardingMethod.MASQ, 2),
                new Destination(1, server(1), ForwardingMethod.MASQ, 1),
                new Destination(2, server(0), ForwardingMethod.MASQ, 3));
        assertThat(table.fallback()).contains(
                new Destination(Destination.FALLBACK_INDEX, FALLBACK, ForwardingMethod.MASQ, 1));
        assertThat(table.maxConnections()).isEqualTo(100);
        assertThat(table.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(table.idleTimeout()).isEqualTo(Duration.ofSeconds(900));
    }

    @Test
    void appliesEffectiveWeightsAndDropsRemovedServers() {
        RealServerKey otherService = server(TestTables.service(81), 0);
        ServiceTable table = ServiceTableBuilder.build(service,
                Map.of(server(0), 0, server(2), 7, otherService, 9), Set.of(server(1)));
        assertThat(table.destinations()).containsExactly(
                new Destination(0, server(2), ForwardingMethod.MASQ, 7),
                new Destination(1, server(0), ForwardingMethod.MASQ, 0));
    }

    @Test
    void aRunTimeSchedulerReplacesTheConfiguredOne() {
        assertThat(ServiceTableBuilder.build(service, SchedulerKind.RR, Map.of(), Set.of()).scheduler())
                .isEqualTo(SchedulerKind.RR);
    }

    @Test
    void everyServerRemovedLeavesOnlyTheFallback() {
        ServiceTable table = ServiceTableBuilder.build(service, Map.of(),
                Set.of(server(0), server(1), server(2)));
        assertThat(table.destinations()).isEmpty();
        assertThat(table.fallback()).isPresent();
    }

    @Test
    void rejectsANegativeWeight() {
        assertThatThrownBy(() -> ServiceTableBuilder.build(service, Map.of(server(1), -1), Set.of()))
                .hasMessageContaining("198.18.0.2:80 has weight -1");
    }

    @Test
    void netmaskZeroMakesEveryClientOneNetworkAsIpvsAllows() {
        VirtualService s = service(SchedulerKind.WLC, List.of(), Optional.empty());
        VirtualService persistent = new VirtualService(s.key(), s.scheduler(), OptionalInt.of(300),
                Optional.of("0.0.0.0"), s.realServers(), s.healthCheck(), true, s.fallback(), Optional.empty(), 0,
                s.idleTimeout(), s.line(), SchedulerFlags.NONE);
        var p = ServiceTableBuilder.persistence(persistent, null).orElseThrow();
        assertThat(p.prefixLength()).isZero();
        assertThat(p.networkLo(0xC6120507)).isEqualTo(p.networkLo(0x0A000001)).isZero();
    }

    private static RealServer real(RealServerKey key, int weight) {
        return new RealServer(key, ForwardingMethod.MASQ, weight, Optional.empty(), Optional.empty(), 13);
    }

    private static VirtualService service(SchedulerKind scheduler, List<RealServer> reals,
                                          Optional<RealServer> fallback) {
        HealthCheck check = new HealthCheck(CheckType.CONNECT, 0, ServiceType.NONE, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(5), 1, Optional.empty(),
                Optional.empty(), Optional.empty(), "GET", Optional.empty(), Optional.empty());
        return new VirtualService(SERVICE, scheduler, OptionalInt.empty(), Optional.empty(), reals, check, true,
                fallback, Optional.empty(), 100, Optional.of(Duration.ofSeconds(900)), 12, SchedulerFlags.NONE);
    }
}
