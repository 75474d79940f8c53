package lbd.health;

import java.util.Locale;
import java.util.Optional;

import lbd.config.model.CheckType;
import lbd.config.model.Protocol;

/** Builds the probe for a real server from its check settings, following ldirectord's choice of check. */
public final class Probes {

    private Probes() {
    }

    /** The probe to run, or empty for checktype on/off, which never probe. */
    public static Optional<Probe> forSpec(CheckSpec spec) {
        CheckType type = spec.check().type();
        return switch (type) {
            case ON, OFF -> Optional.empty();
            case CONNECT -> Optional.of(connect(spec));
            case NEGOTIATE -> Optional.of(negotiate(spec));
            case COMBINED -> Optional.of(new CombinedProbe(combinedConnect(spec), negotiate(spec),
                    spec.check().connectChecksPerNegotiate()));
            case EXTERNAL, EXTERNAL_PERL -> Optional.of(new ExternalProbe(spec));
            case PING -> Optional.of(new PingProbe(spec));
        };
    }

    private static Probe connect(CheckSpec spec) {
        // ldirectord checks UDP services with ping: there is no connection to make.
        return spec.server().service().protocol() == Protocol.UDP ? new PingProbe(spec) : new ConnectProbe(spec);
    }

    /**
     * The connect half of checktype=N. ldirectord does not reroute it to ping on UDP: its check_connect connect()s
     * a datagram socket, which sends nothing and succeeds, so on UDP that half always passes — as here.
     */
    private static Probe combinedConnect(CheckSpec spec) {
        return spec.server().service().protocol() == Protocol.UDP
                ? new FixedProbe(ProbeResult.up("connect: a UDP connect() sends nothing (as ldirectord)"))
                : new ConnectProbe(spec);
    }

    private static Probe negotiate(CheckSpec spec) {
        return switch (spec.check().service()) {
            case HTTP -> new HttpProbe(spec, false);
            case HTTPS -> new HttpProbe(spec, true);
            case HTTP_PROXY -> HttpProbe.throughProxy(spec);
            case SIMPLETCP -> new SimpleTcpProbe(spec);
            case FTP -> new FtpProbe(spec);
            case SMTP, SUBMISSION -> new SmtpProbe(spec);
            case POP -> new PopProbe(spec, false);
            case POPS -> new PopProbe(spec, true);
            case IMAP -> new ImapProbe(spec, false);
            case IMAPS -> new ImapProbe(spec, true);
            case NNTP -> new NntpProbe(spec);
            case LDAP -> new LdapProbe(spec, false);
            case LDAPS -> new LdapProbe(spec, true);
            case MYSQL -> new SqlProbe(spec, SqlProbe.Dialect.MYSQL);
            case PGSQL -> new SqlProbe(spec, SqlProbe.Dialect.PGSQL);
            case DNS -> new DnsProbe(spec);
            case RADIUS -> new RadiusProbe(spec);
            case SIP -> new SipProbe(spec);
            case NONE -> new FixedProbe(ProbeResult.up("negotiate: service=none"));
            default -> new FixedProbe(ProbeResult.down("negotiate: service="
                    + spec.check().service().name().toLowerCase(Locale.ROOT)
                    + " is not supported yet; use checktype=connect or checktype=external"));
        };
    }
}
