package lbd.dataplane.nat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.conn.ConnectionEntry;
import lbd.dataplane.table.ServiceTable;
import lbd.dataplane.worker.ServiceSlot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's datagram socket on a UDP VIP:port and the flows it holds: each client address:port is a
 * {@link UdpFlow} with its own connected socket to the real server chosen for it. The kernel spreads clients over
 * the loops' sockets by hash (SO_REUSEPORT), so a client's datagrams always reach this loop while the set of
 * sockets stays the same.
 *
 * <p>A datagram from a client without a flow opens one, as IPVS creates a connection entry for a UDP packet that
 * matches none: counted as accepted, then scheduled or refused ({@link AcceptCounters}). It is refused — dropped,
 * nothing is sent back — when the service left the table, when the loop holds its share of the service's flow cap
 * (maxconns; {@link ServiceLoad} logs it once per interval) or of the process's connection ceiling, when no real
 * server has weight above 0 and there is no fallback, or when no socket can be had. Open flows go on meanwhile: a
 * flood of new source ports holds at most the cap of sockets and flows.
 *
 * <p>A flow whose real server left the table or is held down by a health check ends at its client's next datagram,
 * which then opens a flow to a server chosen afresh (IPVS would drop the datagrams until the entry times out,
 * unless net.ipv4.vs.expire_nodest_conn is set — for a DNS client that keeps its source port that is up to 300 s
 * of silence). Loop thread only.
 */
final class VipDatagrams extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(VipDatagrams.class);

    private final NatLoop loop;
    private final VirtualServiceKey service;
    private final ServiceLoad load;
    private final Map<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    private Channel vip;

    VipDatagrams(NatLoop loop, VirtualServiceKey service, ServiceLoad load) {
        this.loop = loop;
        this.service = service;
        this.load = load;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        vip = ctx.channel();
        loop.datagramSocketOpened(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        loop.datagramSocketClosed(this);
    }

    /** Loop thread: appends this socket's flows as IPVS lists UDP connections, while fewer than {@code limit}. */
    void describeFlows(List<ConnectionEntry> listed, int limit, long nowNanos) {
        for (UdpFlow flow : flows.values()) {
            if (listed.size() >= limit) {
                return;
            }
            listed.add(flow.describe(nowNanos));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        InetSocketAddress client = packet.sender();
        ByteBuf content = packet.content();
        ServiceSlot slot = loop.worker().service(service);
        if (slot == null) { // the service left the table; its socket is about to close
            content.release();
            loop.acceptCounters().datagramDropped();
            return;
        }
        UdpFlow flow = flows.get(client);
        if (flow != null && !flow.stillServed(slot)) {
            flow.end();
            flow = null;
        }
        if (flow == null) {
            flow = open(slot, client);
            if (flow == null) {
                content.release();
                loop.acceptCounters().datagramDropped();
                return;
            }
        }
        flow.fromClient(content, slot.table());
    }

    /** A new flow for {@code client} with its real server chosen (counted as scheduled), or null (refused). */
    private UdpFlow open(ServiceSlot slot, InetSocketAddress client) {
        AcceptCounters counters = loop.acceptCounters();
        counters.accepted();
        ServiceTable table = slot.table();
        if (!loop.roomForFlow() || !load.tryAdmit(table.maxConnections())) {
            counters.refused();
            return null;
        }
        DestinationChoice choice = loop.choice();
        if (!choice.choose(slot, client, null)) {
            load.release();
            counters.refused();
            if (LOG.isDebugEnabled()) {
                LOG.debug("lbd: {}: no real server available and no fallback; dropping a datagram from {}", service,
                        client);
            }
            return null;
        }
        UdpFlow flow = UdpFlow.open(loop, this, client, choice, table);
        if (flow == null) {
            if (choice.templates() != null) {
                choice.templates().release(choice.templateHandle(), System.nanoTime() / 1_000_000);
            }
            load.release();
            counters.refused();
            return null;
        }
        counters.scheduled();
        loop.connectionOpened();
        flows.put(client, flow);
        flow.start();
        return flow;
    }

    /** The VIP's socket of this loop, through which every reply goes back to its client. */
    Channel vip() {
        return vip;
    }

    VirtualServiceKey service() {
        return service;
    }

    /** A flow ended (expired, its server's port unreachable, or closed with the VIP): it no longer counts. */
    void ended(InetSocketAddress client, UdpFlow flow) {
        flows.remove(client, flow);
        load.release();
        loop.connectionClosed();
    }

    /** The VIP's socket closed (the service was removed, or lbd stops): its flows end with it. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            flow.end();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A UDP socket's read error (an ICMP error queued on it) concerns one datagram; the socket goes on.
        if (LOG.isDebugEnabled()) {
            LOG.debug("lbd: {}: error on the VIP's UDP socket: {}", service, cause.toString());
        }
    }
}
