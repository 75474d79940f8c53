package lbd.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import lbd.config.model.CheckCredentials;
import lbd.config.model.CheckType;
import lbd.config.model.DaemonStatus;
import lbd.config.model.EmailAlert;
import lbd.config.model.Endpoint;
import lbd.config.model.ForwardingMethod;
import lbd.config.model.HealthCheck;
import lbd.config.model.NatOptions;
import lbd.config.model.ProxyProtocol;
import lbd.config.model.Protocol;
import lbd.config.model.RealServer;
import lbd.config.model.RealServerKey;
import lbd.config.model.MaglevTableSize;
import lbd.config.model.Reporting;
import lbd.config.model.SchedulerFlags;
import lbd.config.model.SchedulerKind;
import lbd.config.model.ServiceType;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/**
 * Builds one {@link VirtualService} from its block, applying ldirectord's defaults and the global values, and
 * rejecting what lbd cannot do yet. Every problem of the block is recorded; the service is built only when
 * there is none.
 */
final class ServiceBuilder {

    static final int DEFAULT_CHECK_INTERVAL = 10;
    static final int DEFAULT_CHECK_TIMEOUT = 5;
    static final int DEFAULT_NEGOTIATE_TIMEOUT = 30;

    private static final Pattern FWMARK = Pattern.compile("[0-9]+");
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final String SCHEDULERS = SchedulerKind.names();
    static final String ORACLE_REFUSED = "oracle checks are not supported: the only pure-Java client, Oracle's"
            + " ojdbc (9 MB on Maven Central), is under the Oracle Free Use Terms, not an open-source licence, and no"
            + " Oracle server can run in lbd's tests to prove the check";

    private final ValueReader r;
    private final Block block;
    private final ServiceDefaults globals;
    /** A maintenancedir is configured: checktype=on then looks at it (which decides the warnings). */
    private final boolean maintenanceDir;

    private ServiceBuilder(ValueReader r, Block block, ServiceDefaults globals, boolean maintenanceDir) {
        this.r = r;
        this.block = block;
        this.globals = globals;
        this.maintenanceDir = maintenanceDir;
    }

    /** The service, or empty when the block has errors (all of them recorded). */
    static Optional<VirtualService> build(Block block, ServiceDefaults globals, boolean maintenanceDir,
            ValueReader r) {
        return new ServiceBuilder(r, block, globals, maintenanceDir).build();
    }

    private Optional<VirtualService> build() {
        int errorsBefore = r.problems.count();
        SourceLine vl = block.start;
        r.rejectNotYet(block);

        // virtual=ADDRESS:PORT, or a firewall mark.
        boolean fwmark = FWMARK.matcher(vl.value()).matches();
        AddressParser.HostPort vaddr = null;
        if (fwmark) {
            r.error(vl, "firewall-mark virtual services (" + Excerpt.of(vl.shown()) + ") are not supported: netfilter"
                    + " sets the mark after lbd's packet tap, so lbd cannot read it. Give the VIP:ports the mark"
                    + " groups to one block instead: " + vl.key() + "=VIP:PORT1 and alsolisten=VIP:PORT2[,VIP:PORT3...],"
                    + " with real=RIP masq lines without a port (each connection goes to the port the client used),"
                    + " e.g. virtual=10.0.0.1:80 with alsolisten=10.0.0.1:443");
        } else {
            vaddr = r.read(vl, v -> {
                AddressParser.HostPort hp = AddressParser.parse(Values.unquote(v), block.isIpv6(), false, r.resolver);
                if (hp.port() < 0) {
                    throw new BadValue("no port in " + Excerpt.quoted(v) + "; write " + vl.key() + "=ADDRESS:PORT, e.g. "
                            + Excerpt.of(v) + ":80");
                }
                return hp;
            });
        }
        int vport = vaddr != null ? vaddr.port() : fwmark ? 0 : -1;
        boolean ipv6 = block.isIpv6() || (vaddr != null && vaddr.first() instanceof Inet6Address);

        Protocol protocol = protocol(fwmark, vport);
        SchedulerKind scheduler = orElse(r.read(block, Directive.SCHEDULER, ServiceBuilder::scheduler), SchedulerKind.WRR);
        CheckKind check = orElse(r.read(block, Directive.CHECKTYPE, ServiceBuilder::checkType),
                new CheckKind(CheckType.NEGOTIATE, 0));
        ServiceType service = service(fwmark, vport, check);

        ServiceDefaults own = ServiceDefaults.read(block, r);
        ServiceDefaults s = own.over(globals);
        // checktimeout and negotiatetimeout default to each other, then to 5 and 30 s (as ldirectord computes).
        int checkTimeout = firstNonNull(own.checkTimeout(), own.negotiateTimeout(), globals.checkTimeout(),
                globals.negotiateTimeout(), DEFAULT_CHECK_TIMEOUT);
        int negotiateTimeout = firstNonNull(own.negotiateTimeout(), own.checkTimeout(), globals.negotiateTimeout(),
                globals.checkTimeout(), DEFAULT_NEGOTIATE_TIMEOUT);
        int connectTimeout = firstNonNull(s.connectTimeout(), checkTimeout);
        int checkInterval = firstNonNull(s.checkInterval(), DEFAULT_CHECK_INTERVAL);
        int failureCount = firstNonNull(s.failureCount(), 1);
        boolean quiescent = s.quiescent() != null ? s.quiescent() : true;

        Optional<String> request = Optional.ofNullable(r.read(block, Directive.REQUEST,
                v -> Values.text(v, "request=\"index.html\"")));
        Optional<String> receive = Optional.ofNullable(r.read(block, Directive.RECEIVE, ServiceBuilder::regex));
        String httpMethod = orElse(r.read(block, Directive.HTTPMETHOD, v -> switch (Values.unquote(v).toUpperCase(Locale.ROOT)) {
            case "GET" -> "GET";
            case "HEAD" -> "HEAD";
            default -> throw new BadValue(Excerpt.quoted(v) + " is not GET or HEAD");
        }), "GET");
        Optional<String> virtualHost = Optional.ofNullable(r.read(block, Directive.VIRTUALHOST,
                v -> Values.text(v, "virtualhost=\"www.example.com\"")));
        Optional<Integer> checkPort = Optional.ofNullable(r.read(block, Directive.CHECKPORT, AddressParser::port));
        Optional<String> checkCommand = Optional.ofNullable(r.read(block, Directive.CHECKCOMMAND,
                v -> Values.text(v, "checkcommand=\"/usr/local/bin/check\"")));
        if (check.type() == CheckType.EXTERNAL && checkCommand.isEmpty()) {
            checkCommand = Optional.of("/bin/true"); // ldirectord's default
        }
        Integer persistent = r.read(block, Directive.PERSISTENT, v -> Values.integer(v, 1, 31_536_000, "a number of seconds"));
        Optional<String> netmask = Optional.ofNullable(r.read(block, Directive.NETMASK, v -> netmask(v, ipv6)));
        SchedulerFlags flags = orElse(r.read(block, Directive.SCHEDFLAGS, v -> schedulerFlags(v, scheduler)),
                SchedulerFlags.NONE);
        int mhTableSize = orElse(r.read(block, Directive.MHTABLESIZE, v -> mhTableSize(v, scheduler)),
                MaglevTableSize.DEFAULT);
        boolean ipv6Service = ipv6;
        Endpoint primary = vaddr == null ? null : new Endpoint(vaddr.first(), vaddr.port());
        List<Endpoint> alsoListen = orElse(r.read(block, Directive.ALSOLISTEN,
                v -> alsoListen(v, ipv6Service, primary)),
                List.of());
        boolean udp = protocol == Protocol.UDP;
        int maxConns = orElse(r.read(block, Directive.MAXCONNS, v -> Values.integer(v, 0, Integer.MAX_VALUE,
                "a number of connections (0 = no limit)")), VirtualService.defaultMaxConnections(protocol));
        // Kept as written: without it, a udp service follows the udp timeout in force (lbadm --set), as IPVS's do.
        Optional<Duration> idleTimeout = Optional.ofNullable(r.read(block, Directive.IDLETIMEOUT,
                v -> Duration.ofSeconds(Values.seconds(v))));
        CheckCredentials credentials = new CheckCredentials(
                Optional.ofNullable(r.read(block, Directive.LOGIN, v -> Values.text(v, "login=\"readuser\""))),
                Optional.ofNullable(r.read(block, Directive.PASSWD, v -> Values.text(v, "passwd=\"secret\""))),
                Optional.ofNullable(r.read(block, Directive.DATABASE, v -> Values.text(v, "database=\"portal\""))),
                Optional.ofNullable(r.read(block, Directive.SECRET, v -> Values.text(v, "secret=\"testing123\""))));
        Reporting reporting = new Reporting(
                Optional.ofNullable(r.read(block, Directive.MONITORFILE, ServiceBuilder::monitorFile)),
                emailAlert(s),
                Optional.ofNullable(r.read(block, Directive.SERVICENAME, v -> Values.text(v, "servicename=web"))),
                Optional.ofNullable(r.read(block, Directive.COMMENT, v -> Values.text(v, "comment=\"the web farm\""))));
        if (udp && !alsoListen.isEmpty()) {
            // A udp flow is sent to its real server's own port; the port mapping of alsolisten= is the TCP proxy's.
            r.error(block.get(Directive.ALSOLISTEN), "alsolisten= on a udp service is not supported yet (lbd maps"
                    + " the client's port to the real server's for TCP connections only); write one virtual= block"
                    + " per port");
        }
        Boolean ops = r.read(block, Directive.OPS, Values::yesNo);
        if (Boolean.TRUE.equals(ops) && udp) {
            // IPVS ignores ops for TCP (it acts on UDP only), so there it stays accepted without effect.
            r.error(block.get(Directive.OPS), "one-packet scheduling (ops=yes) is not supported yet: lbd keeps a"
                    + " flow per client address:port; remove the line");
        }
        if (udp && service == ServiceType.SIMPLETCP
                && (check.type() == CheckType.NEGOTIATE || check.type() == CheckType.COMBINED)) {
            r.error(block.get(Directive.SERVICE), "simpletcp checks over UDP are not supported yet (lbd's"
                    + " simpletcp check speaks TCP); use service=dns, radius, sip or none, or checktype=ping");
        }

        VirtualServiceKey key = vaddr == null ? null
                : new VirtualServiceKey(protocol, new Endpoint(vaddr.first(), vaddr.port()));
        List<RealServer> reals = reals(key, vport, ipv6);
        checkNegotiateNeeds(service, check, request, credentials, reals);
        DirectivesNeedingAnother.warnInBlock(block, persistent != null, reporting.emailAlert().isPresent(),
                !reals.isEmpty() && reals.stream().allMatch(real -> real.forwarding().directRouted()), r.problems);
        UnusedCheckDirectives.warn(block, check.type(), check.connects(), service, protocol,
                !block.reals.isEmpty(), reals.stream()
                .filter(rs -> rs.request().isPresent() || rs.receive().isPresent())
                .map(rs -> new UnusedCheckDirectives.RealOverride(rs.line(), rs.request().isPresent(),
                        rs.receive().isPresent()))
                .distinct().toList(), maintenanceDir, r.problems);
        if (!alsoListen.isEmpty()) {
            for (RealServer rs : reals) {
                if (rs.forwarding() != ForwardingMethod.MASQ) {
                    r.error(realLine(rs), "alsolisten= takes masq real servers only yet"
                            + " (the direct-routing path does not accept on a second VIP:port yet); use masq, or one"
                            + " virtual service per port");
                    break;
                }
                if (rs.address().port() != vport) {
                    r.error(realLine(rs), "in a service with alsolisten= each"
                            + " connection goes to the real server at the port the client connected to, as IPVS's"
                            + " firewall-mark services do; leave the port out (real=" + rs.address().address()
                            .getHostAddress() + " masq)");
                }
            }
        }
        Optional<RealServer> fallback = fallback(key, vport, ipv6 ? s.fallback6() : s.fallback());
        NatOptions nat = natOptions(reals, udp, ipv6);

        if (key == null || r.problems.count() != errorsBefore) {
            return Optional.empty();
        }
        HealthCheck health = new HealthCheck(check.type(), check.connects(), service,
                Duration.ofSeconds(checkInterval), Duration.ofSeconds(checkTimeout), Duration.ofSeconds(connectTimeout),
                Duration.ofSeconds(negotiateTimeout), failureCount, checkPort, request, receive, httpMethod,
                virtualHost, checkCommand, credentials, firstNonNull(s.checkCount(), 1));
        return Optional.of(new VirtualService(key, scheduler,
                persistent == null ? OptionalInt.empty() : OptionalInt.of(persistent), netmask, reals, health,
                quiescent, fallback, Optional.ofNullable(s.fallbackCommand()), maxConns, idleTimeout, vl.number(),
                flags, mhTableSize, alsoListen.stream().map(e -> new VirtualServiceKey(protocol, e)).toList(),
                reporting, nat));
    }

    /**
     * proxyprotocol=, acceptproxy=, transparent=: what the NAT proxy tells a real server about the client. Each
     * is for masq services only: direct routing forwards the client's own packets and has nothing to add.
     */
    private NatOptions natOptions(List<RealServer> reals, boolean udp, boolean ipv6) {
        ProxyProtocol proxyProtocol = orElse(r.read(block, Directive.PROXYPROTOCOL, v -> switch (Values.unquote(v)) {
            case "v1" -> ProxyProtocol.V1;
            case "v2" -> ProxyProtocol.V2;
            case "off", "no" -> ProxyProtocol.OFF;
            default -> throw new BadValue(Excerpt.quoted(v) + " is not v1, v2 or off");
        }), ProxyProtocol.OFF);
        boolean acceptProxy = orElse(r.read(block, Directive.ACCEPTPROXY, Values::yesNo), false);
        boolean transparent = orElse(r.read(block, Directive.TRANSPARENT, Values::yesNo), false);
        if (proxyProtocol != ProxyProtocol.OFF && udp) {
            r.error(block.get(Directive.PROXYPROTOCOL), "proxyprotocol= is for tcp services only yet (a udp flow's"
                    + " datagrams reach the real server without a header); remove the line");
        }
        if (acceptProxy && udp) {
            r.error(block.get(Directive.ACCEPTPROXY), "acceptproxy=yes is for tcp services only yet (lbd reads no"
                    + " PROXY header from datagrams); remove the line");
        }
        List<InetAddress> sources = orElse(r.read(block, Directive.SOURCEADDRESS, v -> sourceAddresses(v, ipv6)),
                List.of());
        if (!sources.isEmpty() && udp) {
            r.error(block.get(Directive.SOURCEADDRESS), "sourceaddress= is for tcp services only yet (a udp flow's"
                    + " socket takes the address the kernel chooses); remove the line");
        }
        if (!sources.isEmpty() && transparent) {
            r.error(block.get(Directive.SOURCEADDRESS), "transparent=yes connects from each client's own address;"
                    + " sourceaddress= cannot apply as well: remove one of the two");
            sources = List.of();
        }
        NatOptions nat = new NatOptions(proxyProtocol, acceptProxy, transparent, sources);
        if (reals.stream().anyMatch(real -> real.forwarding().directRouted())) {
            boolean[] used = {proxyProtocol != ProxyProtocol.OFF, acceptProxy, transparent, !sources.isEmpty()};
            Directive[] directives = {Directive.PROXYPROTOCOL, Directive.ACCEPTPROXY, Directive.TRANSPARENT,
                Directive.SOURCEADDRESS};
            for (int i = 0; i < used.length; i++) {
                if (used[i]) {
                    r.error(block.get(directives[i]), "needs masq real servers: direct"
                            + " routing (gate) forwards the client's own packets, which the real server already sees"
                            + " with the client's address");
                }
            }
        }
        return nat;
    }

    private Protocol protocol(boolean fwmark, int vport) {
        SourceLine pl = block.get(Directive.PROTOCOL);
        if (pl == null) {
            if (fwmark) {
                return Protocol.FWM;
            }
            if (vport == 53) {
                return Protocol.UDP; // as ldirectord: DNS is UDP unless protocol=tcp says otherwise
            }
            return Protocol.TCP;
        }
        String p = r.read(pl, Values::unquote);
        if (p == null) {
            return Protocol.TCP; // the bad quoting is reported; checking the rest as TCP finds the other errors
        }
        switch (p) {
            case "tcp" -> {
                if (fwmark) {
                    r.error(pl, "a firewall-mark virtual service takes protocol=fwm");
                }
                return Protocol.TCP;
            }
            case "udp" -> {
                if (fwmark) {
                    r.error(pl, "a firewall-mark virtual service takes protocol=fwm");
                }
                return Protocol.UDP;
            }
            case "fwm" -> {
                if (!fwmark) {
                    r.error(pl, "protocol=fwm is for firewall-mark services, which lbd cannot read (netfilter sets"
                            + " the mark after lbd's packet tap); write protocol=tcp and group the VIP:ports with"
                            + " alsolisten=VIP:PORT[,VIP:PORT...] on this block, e.g. virtual=10.0.0.1:80 with"
                            + " alsolisten=10.0.0.1:443");
                }
                return Protocol.FWM;
            }
            default -> {
                r.error(pl, Excerpt.quoted(p) + " is not tcp, udp or fwm");
                return Protocol.TCP;
            }
        }
    }

    private static SchedulerKind scheduler(String value) {
        String name = Values.unquote(value);
        SchedulerKind kind = SchedulerKind.fromConfigName(name).orElseThrow(() -> new BadValue("unknown scheduler "
                + Excerpt.quoted(name) + "; lbd schedules with " + SCHEDULERS));
        if (!kind.configName().equals(name)) {
            throw new BadValue("scheduler names are lower case: write " + kind.configName());
        }
        return kind;
    }

    /** checktype and, for a number N, its N. */
    private record CheckKind(CheckType type, int connects) {
    }

    private static CheckKind checkType(String value) {
        String v = Values.unquote(value);
        if (!v.isEmpty() && v.length() <= 6 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return new CheckKind(CheckType.COMBINED, Integer.parseInt(v));
        }
        return switch (v) {
            case "connect" -> new CheckKind(CheckType.CONNECT, 0);
            case "negotiate" -> new CheckKind(CheckType.NEGOTIATE, 0);
            case "external" -> new CheckKind(CheckType.EXTERNAL, 0);
            case "off" -> new CheckKind(CheckType.OFF, 0);
            case "on" -> new CheckKind(CheckType.ON, 0);
            case "ping" -> new CheckKind(CheckType.PING, 0);
            case "external-perl" -> throw new BadValue("external-perl is not supported yet (lbd does not embed"
                    + " Perl); use checktype=external with the same script as checkcommand");
            default -> throw new BadValue(Excerpt.quoted(v) + " is not connect, negotiate, external,"
                    + " external-perl, off, on, ping or a number N (N connect checks, then one negotiate)");
        };
    }

    private ServiceType service(boolean fwmark, int vport, CheckKind check) {
        SourceLine sl = block.get(Directive.SERVICE);
        ServiceType service;
        if (sl != null) {
            service = r.read(sl, v -> {
                String name = Values.unquote(v);
                for (ServiceType t : ServiceType.values()) {
                    if (t.configName().equals(name)) {
                        return t;
                    }
                }
                throw new BadValue("unknown service " + Excerpt.quoted(name) + "; ldirectord knows dns,"
                        + " ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pgsql,"
                        + " pop, pops, radius, simpletcp, sip, smtp and submission");
            });
            if (service == null) {
                return ServiceType.NONE;
            }
        } else {
            service = fwmark || vport < 0 ? ServiceType.NONE : ServiceType.forPort(vport);
        }
        if (negotiates(check) && !service.implemented()) {
            String name = service.configName();
            String why = service == ServiceType.ORACLE ? ORACLE_REFUSED : name + " checks are not supported yet";
            if (sl != null) {
                r.error(sl, why + "; use checktype=connect or checktype=external");
            } else {
                r.error(block.start, "port " + vport + " means service=" + name + " by default (as in ldirectord),"
                        + " and " + why + "; add service=simpletcp, service=none or checktype=connect");
            }
        }
        return service;
    }

    private static boolean negotiates(CheckKind check) {
        return check.type() == CheckType.NEGOTIATE || check.type() == CheckType.COMBINED;
    }

    /**
     * What a negotiate check cannot do without, refused on the block's lines rather than failing every check:
     * ldirectord's SQL checks log "Must specify a login and request string" and mark every server down, and its
     * http_proxy check fetches the request as an absolute URL through the real server.
     */
    private void checkNegotiateNeeds(ServiceType service, CheckKind check, Optional<String> request,
            CheckCredentials credentials, List<RealServer> reals) {
        if (!negotiates(check)) {
            return;
        }
        SourceLine at = block.get(Directive.SERVICE) != null ? block.get(Directive.SERVICE) : block.start;
        switch (service) {
            case MYSQL, PGSQL -> {
                String name = service.configName();
                if (credentials.login().isEmpty()) {
                    r.error(at, name + " checks log in: add login=\"USER\" and passwd=\"PASSWORD\" (as ldirectord,"
                            + " which marks every server down without a login)");
                }
                boolean everyRealHasRequest = !reals.isEmpty() && reals.stream().allMatch(rs -> rs.request().isPresent());
                if (request.filter(q -> !q.replaceFirst("^/", "").isBlank()).isEmpty() && !everyRealHasRequest) {
                    r.error(at, name + " checks run request= as SQL and pass when it returns a row: add e.g."
                            + " request=\"SELECT 1\"");
                }
            }
            case HTTP_PROXY -> {
                boolean absolute = request.map(q -> q.replaceFirst("^/", "").toLowerCase(Locale.ROOT))
                        .filter(q -> q.startsWith("http://")).isPresent();
                if (!absolute && reals.stream().anyMatch(rs -> rs.request().isEmpty())) {
                    SourceLine rl = block.get(Directive.REQUEST);
                    r.error(rl != null ? rl : at, "http_proxy checks fetch request= through the real server as an"
                            + " HTTP proxy: write an absolute URL, e.g. request=\"http://www.example.com/\"");
                }
            }
            default -> {
            }
        }
    }

    private List<RealServer> reals(VirtualServiceKey key, int vport, boolean ipv6) {
        List<RealServer> reals = new ArrayList<>();
        Map<Endpoint, Integer> seen = new HashMap<>();
        SourceLine firstMethodLine = null;
        ForwardingMethod firstMethod = null;
        boolean mixReported = false;
        for (SourceLine line : block.reals) {
            RealLineParser.RealSpec spec = r.read(line, v -> RealLineParser.parse(v,
                    ipv6 || line.key().equals(Directive.REAL6.configName), r.resolver));
            if (spec == null) {
                continue;
            }
            // vport is -1 when the virtual= line has an error (already reported): a real server without a port
            // then has none to take. Its line is still checked (family, duplicates) with port 0, and the service
            // is rejected for the virtual= line's error anyway.
            int port = spec.address().port() >= 0 ? spec.address().port() : Math.max(vport, 0);
            if (firstMethod == null) {
                firstMethod = spec.forwarding();
                firstMethodLine = line;
            } else if (spec.forwarding().directRouted() != firstMethod.directRouted() && !mixReported) {
                // gate and ipip mix (both leave the packet as the client sent it, as IPVS's DR and TUN); masq
                // is another data path
                mixReported = true;
                r.error(line, spec.forwarding().configName() + " here, but the real server on line "
                        + firstMethodLine.number() + " is " + firstMethod.configName() + "; lbd needs masq or"
                        + " gate/ipip throughout a virtual service: split it into two virtual services");
            }
            if (vport > 0 && !spec.forwarding().keepsPortOf(vport, port)) {
                r.error(line, describe(spec.forwarding()) + " cannot change the port: the real port " + port
                        + " must equal the virtual port " + vport + "; write :" + vport + ", or use masq to map ports");
                continue;
            }
            for (InetAddress a : spec.address().addresses()) {
                Endpoint endpoint = new Endpoint(a, port);
                if ((a instanceof Inet6Address) != ipv6) {
                    r.error(line, endpoint + " is " + (ipv6 ? "IPv4" : "IPv6") + " but the virtual service on line "
                            + block.start.number() + " is " + (ipv6 ? "IPv6" : "IPv4")
                            + "; a virtual service and its real servers use one address family");
                    break;
                }
                Integer first = seen.putIfAbsent(endpoint, line.number());
                if (first != null) {
                    r.error(line, "real server " + endpoint + " is already in this virtual service (line " + first
                            + "); remove one of them");
                    continue;
                }
                if (key != null) {
                    reals.add(new RealServer(new RealServerKey(key, endpoint), spec.forwarding(), spec.weight(),
                            spec.request(), spec.receive(), line.number(), spec.thresholds()));
                }
            }
            spec.receive().ifPresent(rx -> r.read(line, v -> regex("\"" + rx + "\"")));
        }
        return reals;
    }

    /** "gate (direct routing)", "ipip (tunnelling)" for messages. */
    private static String describe(ForwardingMethod method) {
        return method.configName() + (method == ForwardingMethod.IPIP ? " (tunnelling)" : " (direct routing)");
    }

    private Optional<RealServer> fallback(VirtualServiceKey key, int vport, ServiceDefaults.Fallback fallback) {
        if (fallback == null) {
            return Optional.empty();
        }
        int port = fallback.address().port() >= 0 ? fallback.address().port() : vport;
        SourceLine line = fallback.line();
        String where = block.get(Directive.FALLBACK) == line || block.get(Directive.FALLBACK6) == line
                ? "" : " (the global fallback, for the virtual service on line " + block.start.number() + ")";
        if (vport > 0 && !fallback.forwarding().keepsPortOf(vport, port)) {
            r.error(line, describe(fallback.forwarding()) + " cannot change the port: the fallback port " + port
                    + " must equal the virtual port " + vport + where + "; write :" + vport + " or add masq");
            return Optional.empty();
        }
        if (key == null) {
            return Optional.empty();
        }
        Endpoint endpoint = new Endpoint(fallback.address().first(), port);
        return Optional.of(new RealServer(new RealServerKey(key, endpoint), fallback.forwarding(), 1,
                Optional.empty(), Optional.empty(), line.number()));
    }

    /** The service's alert settings, each its own else the global one; none without a recipient. */
    private static Optional<EmailAlert> emailAlert(ServiceDefaults s) {
        if (s.emailAlert() == null || s.emailAlert().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new EmailAlert(s.emailAlert(), Optional.ofNullable(s.smtp()),
                Duration.ofSeconds(s.emailAlertFreq() == null ? 0 : s.emailAlertFreq()),
                s.emailAlertStatus() == null ? EnumSet.allOf(DaemonStatus.class) : s.emailAlertStatus()));
    }

    /**
     * monitorfile: an absolute path lbd may append to (ldirectord opens it for appending at load and refuses the
     * file when it cannot). Checked without creating it: --check changes nothing on disk.
     */
    private static Path monitorFile(String value) {
        String p = Values.text(value, "monitorfile=\"/var/log/lbd-checks.log\"");
        Path path;
        try {
            path = Path.of(p);
        } catch (InvalidPathException e) {
            throw new BadValue(Excerpt.quoted(p) + " is not a valid path");
        }
        if (!path.isAbsolute()) {
            throw new BadValue(Excerpt.quoted(p) + " is not an absolute path; write it from /");
        }
        if (Files.isDirectory(path)) {
            throw new BadValue(Excerpt.quoted(p) + " is a directory; name a file in it");
        }
        boolean writable = Files.exists(path) ? Files.isWritable(path)
                : path.getParent() != null && Files.isDirectory(path.getParent()) && Files.isWritable(path.getParent());
        if (!writable) {
            throw new BadValue("unable to open " + Excerpt.quoted(p) + " for appending"
                    + (Files.exists(path) || path.getParent() == null || Files.isDirectory(path.getParent())
                    ? " (permission denied)" : " (its directory does not exist)"));
        }
        return path;
    }

    private static String regex(String value) {
        String rx = Values.unquote(value);
        try {
            Pattern.compile(rx);
            return rx;
        } catch (PatternSyntaxException e) {
            throw new BadValue(Excerpt.quoted(rx) + " is not a valid regular expression ("
                    + e.getDescription() + "); escape special characters with \\");
        }
    }

    /**
     * schedflags= as ipvsadm's -b reads it: comma-separated flag-1/flag-2 or their sh-/mh- names, each name only with
     * its scheduler. flag-3, and any flag with a scheduler that reads none, would do nothing: refused.
     */
    static SchedulerFlags schedulerFlags(String value, SchedulerKind scheduler) {
        String v = Values.unquote(value);
        boolean hashing = scheduler == SchedulerKind.SH || scheduler == SchedulerKind.MH;
        boolean fallback = false;
        boolean port = false;
        for (String flag : v.split(",", -1)) {
            String name = flag.strip();
            switch (name) {
                case "flag-1", "sh-fallback", "mh-fallback" -> fallback = true;
                case "flag-2", "sh-port", "mh-port" -> port = true;
                case "flag-3" -> throw new BadValue("flag-3 is read by no IPVS scheduler; remove it");
                default -> throw new BadValue("invalid scheduler flag " + Excerpt.quoted(name)
                        + "; expected sh-fallback, sh-port, mh-fallback, mh-port, flag-1 or flag-2, comma-separated");
            }
            if ((name.startsWith("sh-") || name.startsWith("mh-")) && !name.startsWith(scheduler.configName() + "-")) {
                throw new BadValue("incompatible scheduler flag " + name + " with scheduler=" + scheduler.configName());
            }
        }
        if (!hashing) {
            throw new BadValue("scheduler=" + scheduler.configName() + " reads no scheduler flags (only sh and mh"
                    + " do); remove the line");
        }
        return new SchedulerFlags(fallback, port);
    }

    /** The real= line a real server came from. */
    private SourceLine realLine(RealServer rs) {
        return block.reals.stream().filter(l -> l.number() == rs.line()).findFirst().orElse(block.start);
    }

    /** alsolisten=VIP:PORT[,VIP:PORT...]: each a single address with a port, of the service's family, not its own. */
    private List<Endpoint> alsoListen(String value, boolean ipv6, Endpoint own) {
        List<Endpoint> out = new ArrayList<>();
        for (String part : Values.unquote(value).split("[, ]+")) {
            if (part.isEmpty()) {
                continue;
            }
            AddressParser.HostPort hp = AddressParser.parse(part, ipv6, false, r.resolver);
            if (hp.port() < 0) {
                throw new BadValue("no port in " + Excerpt.quoted(part) + "; write alsolisten=VIP:PORT, e.g. "
                        + Excerpt.of(part) + ":443");
            }
            Endpoint e = new Endpoint(hp.first(), hp.port());
            if ((hp.first() instanceof Inet6Address) != ipv6) {
                throw new BadValue(e + " is not of the virtual service's address family");
            }
            if (e.equals(own) || out.contains(e)) {
                throw new BadValue(e + " is given twice for this service; name each VIP:port once");
            }
            out.add(e);
        }
        if (out.isEmpty()) {
            throw new BadValue("no VIP:PORT; write alsolisten=VIP:PORT[,VIP:PORT...]");
        }
        return out;
    }

    /**
     * sourceaddress=ADDR[,ADDR...]: addresses of the service's family (IPv6 with or without brackets), no port (the
     * kernel picks one per connection), each once.
     */
    private List<InetAddress> sourceAddresses(String value, boolean ipv6) {
        List<InetAddress> out = new ArrayList<>();
        for (String part : Values.unquote(value).split("[, ]+")) {
            if (part.isEmpty()) {
                continue;
            }
            // A bare IPv6 address (two colons or more) is read as if bracketed; "ADDR:PORT" then has a port.
            boolean bareIpv6 = !part.startsWith("[") && part.indexOf(':') != part.lastIndexOf(':');
            AddressParser.HostPort hp = AddressParser.parse(bareIpv6 ? "[" + part + "]" : part, ipv6, false,
                    r.resolver);
            if (hp.port() >= 0) {
                throw new BadValue("no port in sourceaddress=: " + Excerpt.quoted(part) + " (the kernel picks a"
                        + " port per connection); write the address alone");
            }
            InetAddress address = hp.first();
            if ((address instanceof Inet6Address) != ipv6) {
                throw new BadValue(address.getHostAddress() + " is not of the virtual service's address family");
            }
            if (out.contains(address)) {
                throw new BadValue(address.getHostAddress() + " is given twice; name each source address once");
            }
            out.add(address);
        }
        if (out.isEmpty()) {
            throw new BadValue("no address; write sourceaddress=ADDR[,ADDR...]");
        }
        return out;
    }

    /** mhtablesize=: one of the kernel's primes, and only where mh reads it. */
    private static int mhTableSize(String value, SchedulerKind scheduler) {
        int size = Values.integer(value, 1, Integer.MAX_VALUE, "an mh table size");
        if (MaglevTableSize.configIndex(size) < 0) {
            throw new BadValue(size + " is not one of the mh table sizes the kernel can be built with"
                    + " (CONFIG_IP_VS_MH_TAB_INDEX 8..17): " + MaglevTableSize.listed()
                    + "; choose one, about 100 slots per real server");
        }
        if (scheduler != SchedulerKind.MH) {
            throw new BadValue("scheduler=" + scheduler.configName() + " has no table to size (only mh does);"
                    + " remove the line or write scheduler=mh");
        }
        return size;
    }

    static String netmask(String value, boolean ipv6) {
        String v = Values.unquote(value);
        if (ipv6) {
            Values.integer(v, 1, 128, "an IPv6 prefix length");
            return v;
        }
        if (!DOTTED_QUAD.matcher(v).matches()) {
            throw new BadValue(Excerpt.quoted(v) + " is not a dotted-quad netmask, e.g. 255.255.255.0");
        }
        long bits = 0;
        for (String part : v.split("\\.")) {
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new BadValue(Excerpt.quoted(v) + " is not a netmask (each part 0-255)");
            }
            bits = (bits << 8) | octet;
        }
        long inverted = ~bits & 0xFFFF_FFFFL;
        if ((inverted & (inverted + 1)) != 0) {
            throw new BadValue(Excerpt.quoted(v) + " is not a netmask (its one bits must be contiguous, e.g. 255.255.255.0)");
        }
        return v;
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        throw new IllegalStateException("no default");
    }

    private static <T> T orElse(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
