package lbd.config.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Global directives of ldirectord.cf that are not defaults for virtual services, and lbd's own extensions.
 * (Per-service defaults given globally — checkinterval, quiescent, fallback... — are already folded into
 * each {@link VirtualService}.)
 *
 * @param autoreload       autoreload: re-read the file when its mtime changes
 * @param logfile          logfile: a path, or a syslog facility name such as local0
 * @param callback         callback: command run after the configuration is (re)loaded
 * @param maintenanceDir   maintenancedir: a file named after a real server takes it out of service
 * @param cleanStop        cleanstop: yes removes the DR connections on stop; no saves them in the runtime directory
 *                         for the next start (ldirectord: remove the virtual services on stop)
 * @param supervised       supervised
 * @param forkingMode      fork: run each check in its own process (lbd never needs to; accepted)
 * @param emailAlert       emailalert: the global recipients (each service's {@link VirtualService#reporting()} has
 *                         the effective alert settings)
 * @param transport        lbd: transport=auto|io_uring|epoll|nio
 * @param eventLoops       lbd: eventloops=N (0 = one per core)
 * @param maxConnections   lbd: maxconn=N, the NAT proxy's ceiling on open connections, as HAProxy's global
 *                         maxconn (0 = what the open-files limit allows)
 * @param controlSocket    lbd: controlsocket=PATH
 * @param metricsAddress   lbd: metrics=HOST:PORT for Prometheus, empty = off
 * @param networkInterfaces lbd: interface=NAME[,NAME...], the interfaces direct routing receives VIP traffic on;
 *                         empty = every interface that can (up, Ethernet, not a port of a bond or bridge)
 * @param emailAlertFrom   emailalertfrom: the From: of alert mail (empty: USER@HOSTNAME, as ldirectord)
 * @param logLevel         lbd: loglevel=error|warn|info|debug (lbd -d makes it debug)
 * @param logFormat        lbd: logformat=text|json
 * @param sloppyTcp        lbd: sloppytcp=yes|no (IPVS's sloppy_tcp), whether the DR path schedules a packet that is
 *                         not a SYN of a connection it does not know (yes) or drops it (no, the default)
 * @param warmUp           lbd: warmup=yes|no, whether a starting lbd drives its NAT connection path over private
 *                         loopback connections until the JIT has compiled it, before it tells systemd it is ready
 *                         (read at start)
 * @param xdp              lbd: xdp=yes|no, whether direct routing receives the services' frames through AF_XDP (an
 *                         XDP program on each receiving interface) instead of its packet sockets alone (read when
 *                         lbd starts)
 */
public record GlobalSettings(
        boolean autoreload,
        Optional<String> logfile,
        Optional<String> callback,
        Optional<Path> maintenanceDir,
        boolean cleanStop,
        boolean supervised,
        boolean forkingMode,
        Optional<String> emailAlert,
        Transport transport,
        int eventLoops,
        int maxConnections,
        Optional<Path> controlSocket,
        Optional<Endpoint> metricsAddress,
        List<String> networkInterfaces,
        Optional<String> emailAlertFrom,
        LogLevel logLevel,
        LogFormat logFormat,
        boolean sloppyTcp,
        boolean warmUp,
        boolean xdp) {

    public GlobalSettings {
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(logFormat, "logFormat");
        Objects.requireNonNull(logfile, "logfile");
        Objects.requireNonNull(callback, "callback");
        Objects.requireNonNull(maintenanceDir, "maintenanceDir");
        Objects.requireNonNull(emailAlert, "emailAlert");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(controlSocket, "controlSocket");
        Objects.requireNonNull(metricsAddress, "metricsAddress");
        networkInterfaces = List.copyOf(networkInterfaces);
        Objects.requireNonNull(emailAlertFrom, "emailAlertFrom");
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 0 (0 = from the open-files limit): "
                    + maxConnections);
        }
    }

    /** As the canonical constructor, with warmup=yes and xdp=no. */
    public GlobalSettings(boolean autoreload, Optional<String> logfile, Optional<String> callback,
                          Optional<Path> maintenanceDir, boolean cleanStop, boolean supervised, boolean forkingMode,
                          Optional<String> emailAlert, Transport transport, int eventLoops, int maxConnections,
                          Optional<Path> controlSocket, Optional<Endpoint> metricsAddress,
                          List<String> networkInterfaces, Optional<String> emailAlertFrom, LogLevel logLevel,
                          LogFormat logFormat, boolean sloppyTcp) {
        this(autoreload, logfile, callback, maintenanceDir, cleanStop, supervised, forkingMode, emailAlert, transport,
                eventLoops, maxConnections, controlSocket, metricsAddress, networkInterfaces, emailAlertFrom,
                logLevel, logFormat, sloppyTcp, true, false);
    }

    /** With the default log level and format (info, text), sloppytcp=no and warmup=yes. */
    public GlobalSettings(boolean autoreload, Optional<String> logfile, Optional<String> callback,
                          Optional<Path> maintenanceDir, boolean cleanStop, boolean supervised, boolean forkingMode,
                          Optional<String> emailAlert, Transport transport, int eventLoops, int maxConnections,
                          Optional<Path> controlSocket, Optional<Endpoint> metricsAddress,
                          List<String> networkInterfaces, Optional<String> emailAlertFrom) {
        this(autoreload, logfile, callback, maintenanceDir, cleanStop, supervised, forkingMode, emailAlert, transport,
                eventLoops, maxConnections, controlSocket, metricsAddress, networkInterfaces, emailAlertFrom,
                LogLevel.INFO, LogFormat.TEXT, false);
    }

    /** Without emailalertfrom. */
    public GlobalSettings(boolean autoreload, Optional<String> logfile, Optional<String> callback,
                          Optional<Path> maintenanceDir, boolean cleanStop, boolean supervised, boolean forkingMode,
                          Optional<String> emailAlert, Transport transport, int eventLoops, int maxConnections,
                          Optional<Path> controlSocket, Optional<Endpoint> metricsAddress,
                          Optional<String> networkInterface) {
        this(autoreload, logfile, callback, maintenanceDir, cleanStop, supervised, forkingMode, emailAlert, transport,
                eventLoops, maxConnections, controlSocket, metricsAddress, networkInterface.stream().toList(),
                Optional.empty());
    }
}
