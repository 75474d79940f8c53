package lbd.config.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One {@code virtual=} block, with every default applied.
 *
 * <p>{@link #realServers()} is in file order. IPVS inserts each new real server at the head of its list, so
 * the scheduling (and listing) order is the reverse; {@link #ipvsOrder()} gives it.
 *
 * @param key             protocol + VIP:port, the stable identity
 * @param scheduler       scheduler (default wrr)
 * @param persistence     persistent=N seconds, if set
 * @param netmask         netmask for persistence granularity, if set
 * @param realServers     real servers in file order
 * @param healthCheck     how the real servers are checked
 * @param quiescent       quiescent: a failed server gets weight 0 (true) or is removed (false)
 * @param fallback        fallback server used when every real server is down
 * @param fallbackCommand command run when the fallback is activated/withdrawn
 * @param maxConnections  lbd extension: cap on concurrent connections (0 = none)
 * @param idleTimeout     lbd extension idletimeout=: idle timeout of a proxied connection (tcp) or flow (udp), as
 *                        written; empty when the block has no idletimeout= ({@link #effectiveIdleTimeout} applies
 *                        the default, which for udp is the udp timeout in force)
 * @param line            line of the virtual= directive
 * @param schedulerFlags  schedflags= (sh and mh read them), {@link SchedulerFlags#NONE} when not set
 * @param mhTableSize     lbd extension mhtablesize=: the slots of mh's table, one of
 *                        {@link MaglevTableSize#SIZES} ({@link MaglevTableSize#DEFAULT} when not set)
 * @param alsoListen      lbd extension alsolisten=: more VIP:ports (same protocol) of this one service — one set of
 *                        real servers, one scheduler, one persistence table — as IPVS groups ports under a firewall
 *                        mark; a connection goes to its real server at the port the client connected to
 * @param reporting       monitorfile, alert mail, servicename and comment
 * @param nat             lbd extension: proxyprotocol=, acceptproxy=, transparent= ({@link NatOptions#NONE})
 */
public record VirtualService(
        VirtualServiceKey key,
        SchedulerKind scheduler,
        OptionalInt persistence,
        Optional<String> netmask,
        List<RealServer> realServers,
        HealthCheck healthCheck,
        boolean quiescent,
        Optional<RealServer> fallback,
        Optional<String> fallbackCommand,
        int maxConnections,
        Optional<Duration> idleTimeout,
        int line,
        SchedulerFlags schedulerFlags,
        int mhTableSize,
        List<VirtualServiceKey> alsoListen,
        Reporting reporting,
        NatOptions nat) {

    /**
     * The NAT proxy's idle timeout of a tcp connection without idletimeout=: IPVS's tcp (ESTABLISHED) timeout. It is
     * the proxy's own and does not follow {@code ipvsadm --set} (a proxied connection has no IPVS state).
     */
    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ofSeconds(900);

    /**
     * The flows a UDP service holds at most unless maxconns= says otherwise: each holds a socket, and a flood of
     * new source ports must not take every descriptor (the process's connection ceiling bounds them all too).
     */
    public static final int DEFAULT_UDP_MAX_FLOWS = 65_536;

    /** The cap of a service without maxconns= (0: none), whether the file or lbadm -A made it. */
    public static int defaultMaxConnections(Protocol protocol) {
        return protocol == Protocol.UDP ? DEFAULT_UDP_MAX_FLOWS : 0;
    }

    /** A service on its one VIP:port, with the kernel's default mh table size, that reports only to lbd's log. */
    public VirtualService(VirtualServiceKey key, SchedulerKind scheduler, OptionalInt persistence,
                          Optional<String> netmask, List<RealServer> realServers, HealthCheck healthCheck,
                          boolean quiescent, Optional<RealServer> fallback, Optional<String> fallbackCommand,
                          int maxConnections, Optional<Duration> idleTimeout, int line, SchedulerFlags schedulerFlags) {
        this(key, scheduler, persistence, netmask, realServers, healthCheck, quiescent, fallback, fallbackCommand,
                maxConnections, idleTimeout, line, schedulerFlags, MaglevTableSize.DEFAULT, List.of(), Reporting.NONE,
                NatOptions.NONE);
    }

    /** A service on its one VIP:port that reports only to lbd's log, without NAT options. */
    public VirtualService(VirtualServiceKey key, SchedulerKind scheduler, OptionalInt persistence,
                          Optional<String> netmask, List<RealServer> realServers, HealthCheck healthCheck,
                          boolean quiescent, Optional<RealServer> fallback, Optional<String> fallbackCommand,
                          int maxConnections, Optional<Duration> idleTimeout, int line, SchedulerFlags schedulerFlags,
                          int mhTableSize) {
        this(key, scheduler, persistence, netmask, realServers, healthCheck, quiescent, fallback, fallbackCommand,
                maxConnections, idleTimeout, line, schedulerFlags, mhTableSize, List.of(), Reporting.NONE,
                NatOptions.NONE);
    }

    /** A service that reports only to lbd's log, without NAT options (the real servers see the director's address). */
    public VirtualService(VirtualServiceKey key, SchedulerKind scheduler, OptionalInt persistence,
                          Optional<String> netmask, List<RealServer> realServers, HealthCheck healthCheck,
                          boolean quiescent, Optional<RealServer> fallback, Optional<String> fallbackCommand,
                          int maxConnections, Optional<Duration> idleTimeout, int line, SchedulerFlags schedulerFlags,
                          int mhTableSize, List<VirtualServiceKey> alsoListen) {
        this(key, scheduler, persistence, netmask, realServers, healthCheck, quiescent, fallback, fallbackCommand,
                maxConnections, idleTimeout, line, schedulerFlags, mhTableSize, alsoListen, Reporting.NONE,
                NatOptions.NONE);
    }

    public VirtualService {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(persistence, "persistence");
        Objects.requireNonNull(netmask, "netmask");
        realServers = List.copyOf(realServers);
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(fallback, "fallback");
        Objects.requireNonNull(fallbackCommand, "fallbackCommand");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(schedulerFlags, "schedulerFlags");
        alsoListen = List.copyOf(alsoListen);
        if (MaglevTableSize.configIndex(mhTableSize) < 0) {
            throw new IllegalArgumentException("mh table size " + mhTableSize + " is not one of the kernel's: "
                    + MaglevTableSize.listed());
        }
        Objects.requireNonNull(reporting, "reporting");
        Objects.requireNonNull(nat, "nat");
    }

    /**
     * The NAT proxy's idle timeout of this service's connections (tcp) or flows (udp): idletimeout= when written;
     * else {@link #DEFAULT_TCP_IDLE_TIMEOUT} for tcp and, for udp, {@code udpTimeout} — the udp timeout in force
     * ({@code ipvsadm --set}'s third value, IPVS's 300 s unless set), as IPVS applies its one udp timeout to every
     * UDP connection.
     */
    public Duration effectiveIdleTimeout(Duration udpTimeout) {
        return idleTimeout.orElseGet(() -> protocol() == Protocol.UDP ? udpTimeout : DEFAULT_TCP_IDLE_TIMEOUT);
    }

    /**
     * The persistence netmask as ipvsadm lists it ({@code mask} in -L, {@code -M} in -S): only for a persistent
     * service, and not when it is the whole address (255.255.255.255, or 128 for IPv6).
     */
    public Optional<String> listedNetmask() {
        return netmask.filter(m -> persistence.isPresent() && !m.equals("255.255.255.255") && !m.equals("128"));
    }

    public Endpoint address() {
        return key.address();
    }

    public Protocol protocol() {
        return key.protocol();
    }

    /** Real servers in IPVS list order: the last one added first. */
    public List<RealServer> ipvsOrder() {
        return realServers.reversed();
    }

    /**
     * The forwarding method of the service's first real server: masq, or one of the direct-routed gate and ipip (a
     * service never mixes masq with them, but may mix gate and ipip, as IPVS does).
     */
    public ForwardingMethod forwarding() {
        return realServers.isEmpty() ? ForwardingMethod.MASQ : realServers.getFirst().forwarding();
    }
}
