package lbd.dataplane.nat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.worker.ServiceSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits each connection accepted by one loop's listener on one VIP: looks the service up in the loop's
 * {@link lbd.dataplane.worker.WorkerState}, applies the loop's share of the connection cap, chooses a real
 * server, and installs the {@link ProxiedConnection} (which also keeps the idle timeout). A client that cannot be
 * served is reset at once.
 */
final class VipAcceptor extends ChannelInitializer<Channel> {

    private static final Logger LOG = LoggerFactory.getLogger(VipAcceptor.class);

    private final NatLoop loop;
    private final VirtualServiceKey service;
    private final ServiceLoad load;

    VipAcceptor(NatLoop loop, VirtualServiceKey service, ServiceLoad load) {
        this.loop = loop;
        this.service = service;
        this.load = load;
    }

    @Override
    protected void initChannel(Channel client) {
        AcceptCounters counters = loop.acceptCounters();
        counters.accepted();
        ServiceSlot slot = loop.worker().service(service);
        if (slot == null) {
            // The service left the table; its listener is about to close.
            counters.refused();
            ProxiedConnection.abort(client);
            return;
        }
        ServiceTable table = slot.table();
        if (!load.tryAdmit(table.maxConnections())) {
            counters.refused();
            ProxiedConnection.abort(client);
            return;
        }
        ProxiedConnection connection = ProxiedConnection.schedule(loop, service, load, slot, client);
        if (connection == null) {
            counters.refused();
            load.release();
            if (LOG.isDebugEnabled()) {
                LOG.debug("lbd: {}: no real server available and no fallback; resetting {}", service,
                        client.remoteAddress());
            }
            ProxiedConnection.abort(client);
            return;
        }
        counters.scheduled();
        loop.connectionOpened();
        client.pipeline().addLast(connection); // which also keeps the idle timeout (see there)
    }
}
