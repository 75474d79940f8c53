package lbd.config;

/**
 * Every directive of ldirectord.cf ({@code man ldirectord}) plus lbd's own, with where it may appear and what
 * lbd does with it. README.md's configuration reference is the operator-facing version of this table.
 */
enum Directive {
    // Begins a virtual service block.
    VIRTUAL("virtual", Scope.BLOCK_START, Support.ACTED),
    VIRTUAL6("virtual6", Scope.BLOCK_START, Support.ACTED),

    // Global only.
    AUTORELOAD("autoreload", Scope.GLOBAL, Support.ACTED),
    CALLBACK("callback", Scope.GLOBAL, Support.ACTED),
    LOGFILE("logfile", Scope.GLOBAL, Support.ACTED),
    EXECUTE("execute", Scope.GLOBAL, Support.NOT_YET),
    SUPERVISED("supervised", Scope.GLOBAL, Support.ACTED),
    FORK("fork", Scope.GLOBAL, Support.ACCEPTED),
    READDQUIESCENT("readdquiescent", Scope.GLOBAL, Support.ACCEPTED),
    MAINTENANCEDIR("maintenancedir", Scope.GLOBAL, Support.ACTED),
    EMAILALERTFROM("emailalertfrom", Scope.GLOBAL, Support.ACTED),
    // lbd's extensions.
    TRANSPORT("transport", Scope.GLOBAL, Support.ACTED),
    EVENTLOOPS("eventloops", Scope.GLOBAL, Support.ACTED),
    MAXCONN("maxconn", Scope.GLOBAL, Support.ACTED),
    CONTROLSOCKET("controlsocket", Scope.GLOBAL, Support.ACTED),
    METRICS("metrics", Scope.GLOBAL, Support.ACTED),
    INTERFACE("interface", Scope.GLOBAL, Support.ACTED),
    LOGLEVEL("loglevel", Scope.GLOBAL, Support.ACTED),
    LOGFORMAT("logformat", Scope.GLOBAL, Support.ACTED),
    // IPVS's sloppy_tcp sysctl: schedule a mid-flow packet of a DR connection no worker knows.
    SLOPPYTCP("sloppytcp", Scope.GLOBAL, Support.ACTED),
    // The connection path compiled on private loopback connections before lbd says it is ready.
    WARMUP("warmup", Scope.GLOBAL, Support.ACTED),
    // Direct routing receives the services' frames through AF_XDP (an XDP program on each interface).
    XDP("xdp", Scope.GLOBAL, Support.ACTED),

    // Global defaults that a virtual service may override.
    CHECKTIMEOUT("checktimeout", Scope.BOTH, Support.ACTED),
    CONNECTTIMEOUT("connecttimeout", Scope.BOTH, Support.ACTED),
    NEGOTIATETIMEOUT("negotiatetimeout", Scope.BOTH, Support.ACTED),
    CHECKINTERVAL("checkinterval", Scope.BOTH, Support.ACTED),
    CHECKCOUNT("checkcount", Scope.BOTH, Support.ACTED),
    FAILURECOUNT("failurecount", Scope.BOTH, Support.ACTED),
    FALLBACK("fallback", Scope.BOTH, Support.ACTED),
    FALLBACK6("fallback6", Scope.BOTH, Support.ACTED),
    FALLBACKCOMMAND("fallbackcommand", Scope.BOTH, Support.ACTED),
    QUIESCENT("quiescent", Scope.BOTH, Support.ACTED),
    EMAILALERT("emailalert", Scope.BOTH, Support.ACTED),
    EMAILALERTFREQ("emailalertfreq", Scope.BOTH, Support.ACTED),
    EMAILALERTSTATUS("emailalertstatus", Scope.BOTH, Support.ACTED),
    CLEANSTOP("cleanstop", Scope.BOTH, Support.ACTED),
    SMTP("smtp", Scope.BOTH, Support.ACTED),

    // Inside a virtual block only.
    REAL("real", Scope.VIRTUAL, Support.ACTED),
    REAL6("real6", Scope.VIRTUAL, Support.ACTED),
    REQUEST("request", Scope.VIRTUAL, Support.ACTED),
    RECEIVE("receive", Scope.VIRTUAL, Support.ACTED),
    CHECKTYPE("checktype", Scope.VIRTUAL, Support.ACTED),
    CHECKCOMMAND("checkcommand", Scope.VIRTUAL, Support.ACTED),
    CHECKPORT("checkport", Scope.VIRTUAL, Support.ACTED),
    LOGIN("login", Scope.VIRTUAL, Support.ACTED),
    PASSWD("passwd", Scope.VIRTUAL, Support.ACTED),
    DATABASE("database", Scope.VIRTUAL, Support.ACTED),
    SECRET("secret", Scope.VIRTUAL, Support.ACTED), // radius checks
    SCHEDULER("scheduler", Scope.VIRTUAL, Support.ACTED),
    PERSISTENT("persistent", Scope.VIRTUAL, Support.ACTED),
    NETMASK("netmask", Scope.VIRTUAL, Support.ACTED),
    SCHEDFLAGS("schedflags", Scope.VIRTUAL, Support.ACTED),
    // lbd's extension: mh's table size, one of the kernel's build-time primes.
    MHTABLESIZE("mhtablesize", Scope.VIRTUAL, Support.ACTED),
    // lbd's extension: more VIP:ports for the same service, what IPVS groups with a firewall mark.
    ALSOLISTEN("alsolisten", Scope.VIRTUAL, Support.ACTED),
    PROTOCOL("protocol", Scope.VIRTUAL, Support.ACTED),
    OPS("ops", Scope.VIRTUAL, Support.ACCEPTED),
    // Not in the man page: ldirectord's parser stores load="WORD" and nothing reads it.
    LOAD("load", Scope.VIRTUAL, Support.ACCEPTED),
    SERVICE("service", Scope.VIRTUAL, Support.ACTED),
    HTTPMETHOD("httpmethod", Scope.VIRTUAL, Support.ACTED),
    VIRTUALHOST("virtualhost", Scope.VIRTUAL, Support.ACTED),
    MONITORFILE("monitorfile", Scope.VIRTUAL, Support.ACTED),
    SERVICENAME("servicename", Scope.VIRTUAL, Support.ACTED),
    COMMENT("comment", Scope.VIRTUAL, Support.ACTED),
    // lbd's extensions.
    MAXCONNS("maxconns", Scope.VIRTUAL, Support.ACTED),
    IDLETIMEOUT("idletimeout", Scope.VIRTUAL, Support.ACTED),
    PROXYPROTOCOL("proxyprotocol", Scope.VIRTUAL, Support.ACTED),
    ACCEPTPROXY("acceptproxy", Scope.VIRTUAL, Support.ACTED),
    TRANSPARENT("transparent", Scope.VIRTUAL, Support.ACTED),
    SOURCEADDRESS("sourceaddress", Scope.VIRTUAL, Support.ACTED);

    /** Where a directive may be written. */
    enum Scope {
        /** virtual= / virtual6=: at the start of a line, begins a block. */
        BLOCK_START,
        /** Only outside virtual blocks, unindented. */
        GLOBAL,
        /** Globally as a default for every virtual service, or in a block to override it. */
        BOTH,
        /** Only inside a virtual block, indented. */
        VIRTUAL
    }

    /** What lbd does with it. */
    enum Support {
        /** lbd honours it. */
        ACTED,
        /** Accepted for compatibility and syntax-checked, but it changes nothing in lbd (documented). */
        ACCEPTED,
        /** Rejected on its line as "not supported yet". */
        NOT_YET
    }

    final String configName;
    final Scope scope;
    final Support support;

    Directive(String configName, Scope scope, Support support) {
        this.configName = configName;
        this.scope = scope;
        this.support = support;
    }

    boolean allowedGlobally() {
        return scope == Scope.GLOBAL || scope == Scope.BOTH;
    }

    boolean allowedInBlock() {
        return scope == Scope.VIRTUAL || scope == Scope.BOTH;
    }
}
