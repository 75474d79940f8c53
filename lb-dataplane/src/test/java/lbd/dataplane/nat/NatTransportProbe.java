package lbd.dataplane.nat;

import lbd.config.model.Transport;
import lbd.dataplane.transport.NettyTransport;

/**
 * Run in a child JVM with native transports disabled: prints what AUTO chooses and what an explicit request
 * for each native transport says.
 */
public final class NatTransportProbe {

    private NatTransportProbe() {
    }

    public static void main(String[] args) {
        System.out.println("auto=" + NettyTransport.select(Transport.AUTO).kind());
        for (Transport explicit : new Transport[] {Transport.IO_URING, Transport.EPOLL}) {
            try {
                NettyTransport.select(explicit);
                System.out.println(explicit + "=available");
            } catch (IllegalStateException e) {
                System.out.println(explicit + "=" + e.getMessage());
            }
        }
    }
}
