package lbd.dataplane.transport;

import lbd.config.model.Transport;

/** A concrete Netty transport, as opposed to the requested {@link Transport} which may be AUTO. */
public enum TransportKind {
    IO_URING("io_uring"), EPOLL("epoll"), NIO("nio");

    private final String configName;

    TransportKind(String configName) {
        this.configName = configName;
    }

    /** The word used in ldirectord.cf ({@code transport=}) and in log lines. */
    public String configName() {
        return configName;
    }

    /** The explicit request that asks for this kind. */
    public Transport request() {
        return switch (this) {
            case IO_URING -> Transport.IO_URING;
            case EPOLL -> Transport.EPOLL;
            case NIO -> Transport.NIO;
        };
    }

    @Override
    public String toString() {
        return configName;
    }
}
