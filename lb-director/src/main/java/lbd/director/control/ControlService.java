package lbd.director.control;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import lbd.dataplane.table.ConnectionTimeouts;
import lbd.director.listing.AddressNames;
import lbd.director.listing.ConnectionListing;
import lbd.director.listing.IpvsListing;
import lbd.director.listing.JsonListing;
import lbd.director.listing.ResolvingNames;
import lbd.director.listing.TableView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one request line and produces the reply; never throws. Runs on the connection's thread (a listing
 * that resolves names blocks there, not on the control thread). Edits are logged here, once each.
 */
public final class ControlService {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final ControlHandler handler;
    private final Supplier<String> listingFirstLine;
    private final Supplier<AddressNames> resolvingNames;

    public ControlService(ControlHandler handler, String listingFirstLine) {
        this(handler, () -> listingFirstLine);
    }

    /** With a first line that may change while lbd runs (it carries the HA state). */
    public ControlService(ControlHandler handler, Supplier<String> listingFirstLine) {
        this(handler, listingFirstLine, ResolvingNames::fromSystem);
    }

    ControlService(ControlHandler handler, Supplier<String> listingFirstLine, Supplier<AddressNames> resolvingNames) {
        this.handler = Objects.requireNonNull(handler, "handler");
        this.listingFirstLine = Objects.requireNonNull(listingFirstLine, "listingFirstLine");
        this.resolvingNames = resolvingNames;
    }

    public ControlReply handle(String line) {
        ControlRequest request;
        try {
            request = ControlRequest.parse(line);
        } catch (ControlException e) {
            log.warn("control socket: rejected a request: {}", e.getMessage());
            return ControlReply.error(e.getMessage());
        }
        try {
            return execute(request);
        } catch (ControlException e) {
            return ControlReply.error(e.getMessage());
        } catch (RuntimeException e) {
            log.warn("control socket: '{}' failed: {}", request.toLine(), e.toString());
            return ControlReply.error("lbd could not carry out the request: " + e.getMessage());
        }
    }

    private ControlReply execute(ControlRequest request) {
        return switch (request) {
            case ControlRequest.Ping p -> ControlReply.ok("");
            case ControlRequest.ListTable list -> {
                TableView view = handler.listing();
                if (list.service().isPresent()) {
                    view = new TableView(List.of(view.service(list.service().get()).orElseThrow(
                            () -> new ControlException("Service not defined: " + list.service().get()))));
                }
                if (list.json()) {
                    yield ControlReply.ok(JsonListing.table(view, list.options().noSort(), handler.directRouting()));
                }
                AddressNames names = list.options().numeric() ? AddressNames.NUMERIC : resolvingNames.get();
                yield ControlReply.ok(IpvsListing.format(view, list.options(), names, listingFirstLine.get()));
            }
            case ControlRequest.ListConnections list when list.json() ->
                    ControlReply.ok(JsonListing.connections(handler.connections()));
            case ControlRequest.ListConnections list -> {
                AddressNames names = list.numeric() ? AddressNames.NUMERIC : resolvingNames.get();
                yield ControlReply.ok(ConnectionListing.format(handler.connections(), list.persistentConn(), names));
            }
            case ControlRequest.ListTimeouts t when t.json() -> ControlReply.ok(JsonListing.timeouts(handler.timeouts()));
            case ControlRequest.ListTimeouts t -> {
                ConnectionTimeouts now = handler.timeouts();
                yield ControlReply.ok("Timeout (tcp tcpfin udp): " + now.tcpSeconds() + " " + now.tcpFinSeconds()
                        + " " + now.udpSeconds() + "\n");
            }
            case ControlRequest.SetTimeouts t -> {
                ConnectionTimeouts now = handler.setTimeouts(t.tcp(), t.tcpFin(), t.udp());
                log.info("lbadm: connection timeouts (tcp tcpfin udp) set to {} {} {}", now.tcpSeconds(),
                        now.tcpFinSeconds(), now.udpSeconds());
                yield ControlReply.ok("");
            }
            case ControlRequest.SetWeight e -> {
                handler.setWeight(e.server(), e.weight(), e.forwarding(), e.thresholds());
                log.info("lbadm: weight of {} set to {}{}, thresholds u:{} l:{} (until the next reload)", e.server(),
                        e.weight(), e.weight() == 0 ? ", draining" : "", e.thresholds().upper(),
                        e.thresholds().lower());
                yield ControlReply.ok("");
            }
            case ControlRequest.AddServer a -> {
                handler.addServer(a.server(), a.forwarding(), a.weight(), a.thresholds());
                log.info("lbadm: real server {} added ({}, weight {}, thresholds u:{} l:{}) until the next reload",
                        a.server(), a.forwarding().configName(), a.weight(), a.thresholds().upper(),
                        a.thresholds().lower());
                yield ControlReply.ok("");
            }
            case ControlRequest.DeleteServer d -> {
                handler.deleteServer(d.server());
                log.info("lbadm: real server {} removed until the next reload; open connections finish", d.server());
                yield ControlReply.ok("");
            }
            case ControlRequest.SetScheduler s -> {
                handler.setScheduler(s.service(), s.scheduler());
                log.info("lbadm: scheduler of {} set to {} (until the next reload)", s.service(),
                        s.scheduler().configName());
                yield ControlReply.ok("");
            }
            case ControlRequest.AddService a -> {
                handler.addService(a.settings());
                log.info("lbadm: virtual service {} added ({}) until the next reload", a.settings().key(),
                        a.toLine().substring(a.toLine().indexOf(' ', "add-service tcp ".length()) + 1));
                yield ControlReply.ok("");
            }
            case ControlRequest.EditService e -> {
                handler.editService(e.settings());
                log.info("lbadm: virtual service {} set to {} until the next reload", e.settings().key(),
                        e.toLine().substring(e.toLine().indexOf(' ', "edit-service tcp ".length()) + 1));
                yield ControlReply.ok("");
            }
            case ControlRequest.DeleteService d -> {
                handler.deleteService(d.service());
                log.info("lbadm: virtual service {} removed until the next reload; open connections finish",
                        d.service());
                yield ControlReply.ok("");
            }
            case ControlRequest.Clear c -> {
                handler.clear();
                log.info("lbadm: every virtual service removed until the next reload; open connections finish");
                yield ControlReply.ok("");
            }
            case ControlRequest.Zero z -> {
                handler.zero(z.service());
                log.info("lbadm: counters zeroed ({})", z.service().map(Object::toString).orElse("every service"));
                yield ControlReply.ok("");
            }
            case ControlRequest.Reload r -> {
                log.info("lbadm: reload requested");
                yield ControlReply.ok(handler.reload() + "\n");
            }
            case ControlRequest.Upgrade u -> {
                log.info("lbd upgrade requested");
                ControlHandler.Upgraded done = handler.upgrade(java.time.Duration.ofSeconds(u.drainSeconds()));
                yield ControlReply.ok(done.summary() + "\n", done.afterReply());
            }
        };
    }
}
