package lbd.director.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import lbd.config.model.Endpoint;
import lbd.config.model.ConnectionThresholds;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.Protocol;
import lbd.config.model.RealServerKey;
import lbd.config.model.SchedulerKind;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntries;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.counter.RealServerStats;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.director.core.ServiceSettings;
import lbd.director.listing.DestinationView;
import lbd.director.listing.Rates;
import lbd.director.listing.ServiceView;
import lbd.director.listing.TableView;

/** A handler over one service with two real servers, recording what it was asked; for protocol tests. */
final class FakeHandler implements ControlHandler {

    static final VirtualServiceKey VIP = new VirtualServiceKey(Protocol.TCP, Endpoint.of("127.0.0.1", 8080));

    volatile String scheduler = "rr";
    final List<DestinationView> servers = new ArrayList<>(List.of(
            dest("127.0.0.2", 1, ""), dest("127.0.0.3", 1, "")));
    volatile int reloads;
    volatile int zeroed;

    private static DestinationView dest(String ip, int weight, String note) {
        return new DestinationView(Endpoint.of(ip, 80), ForwardingMethod.MASQ, weight,
                new RealServerStats(1, 2, 3, 0, 0, 0, 0), Rates.ZERO, note, true);
    }

    @Override
    public synchronized TableView view() {
        return new TableView(List.of(new ServiceView(VIP, scheduler, OptionalInt.empty(), Optional.empty(),
                RealServerStats.ZERO, Rates.ZERO, servers, List.of())));
    }

    @Override
    public ConnectionEntries connections() {
        return new ConnectionEntries(List.of(new ConnectionEntry(Endpoint.of("192.0.2.7", 40000), VIP,
                Endpoint.of("127.0.0.2", 80), "ESTABLISHED", 899_500)), 1);
    }

    /** What a gate service's workers would have counted; empty: no gate service. */
    volatile Optional<lbd.director.listing.DirectRoutingView> directRouting = Optional.empty();

    @Override
    public Optional<lbd.director.listing.DirectRoutingView> directRouting() {
        return directRouting;
    }

    volatile ConnectionTimeouts timeouts = ConnectionTimeouts.DEFAULTS;

    @Override
    public ConnectionTimeouts timeouts() {
        return timeouts;
    }

    @Override
    public synchronized ConnectionTimeouts setTimeouts(int tcp, int tcpFin, int udp) {
        timeouts = timeouts.with(tcp, tcpFin, udp);
        return timeouts;
    }

    final List<String> serviceEdits = new ArrayList<>();

    @Override
    public synchronized void addService(ServiceSettings settings) {
        if (settings.key().equals(VIP)) {
            throw new ControlException("Service already exists: " + VIP);
        }
        serviceEdits.add("add " + settings);
    }

    @Override
    public synchronized void editService(ServiceSettings settings) {
        if (!settings.key().equals(VIP)) {
            throw new ControlException("No such service: " + settings.key());
        }
        scheduler = settings.scheduler().configName();
        serviceEdits.add("edit " + settings);
    }

    @Override
    public synchronized void deleteService(VirtualServiceKey service) {
        if (!service.equals(VIP)) {
            throw new ControlException("No such service: " + service);
        }
        serviceEdits.add("delete " + service);
    }

    @Override
    public synchronized void clear() {
        serviceEdits.add("clear");
    }

    @Override
    public TableView listing() {
        return view();
    }

    @Override
    public synchronized void zero(Optional<VirtualServiceKey> service) {
        if (service.isPresent() && !service.get().equals(VIP)) {
            throw new ControlException("Service not defined: " + service.get());
        }
        zeroed++;
    }

    private int find(RealServerKey key) {
        if (!key.service().equals(VIP)) {
            throw new ControlException("Service not defined: " + key.service());
        }
        for (int i = 0; i < servers.size(); i++) {
            if (servers.get(i).address().equals(key.address())) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public synchronized void setWeight(RealServerKey server, int weight, Optional<ForwardingMethod> forwarding,
                                       ConnectionThresholds thresholds) {
        int i = find(server);
        if (i < 0) {
            throw new ControlException("No such destination: " + server);
        }
        DestinationView d = servers.get(i);
        servers.set(i, new DestinationView(d.address(), d.forwarding(), weight, d.stats(), d.rates(),
                "weight set by lbadm", true, 0, thresholds));
    }

    @Override
    public synchronized void addServer(RealServerKey server, ForwardingMethod forwarding, int weight,
                                       ConnectionThresholds thresholds) {
        if (find(server) >= 0) {
            throw new ControlException("Destination already exists: " + server);
        }
        servers.add(new DestinationView(server.address(), forwarding, weight, RealServerStats.ZERO, Rates.ZERO, "", true,
                0, thresholds));
    }

    @Override
    public synchronized void deleteServer(RealServerKey server) {
        int i = find(server);
        if (i < 0) {
            throw new ControlException("No such destination: " + server);
        }
        servers.remove(i);
    }

    @Override
    public void setScheduler(VirtualServiceKey service, SchedulerKind kind) {
        if (!service.equals(VIP)) {
            throw new ControlException("Service not defined: " + service);
        }
        scheduler = kind.configName();
    }

    @Override
    public String reload() {
        reloads++;
        return "configuration reloaded";
    }
}
