package lbd.config.model;

/** lbd extension {@code transport=}: which Netty transport the NAT proxy uses. AUTO picks the best available. */
public enum Transport {
    AUTO, IO_URING, EPOLL, NIO
}
