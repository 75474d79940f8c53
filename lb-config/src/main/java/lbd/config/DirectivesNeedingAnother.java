package lbd.config;

import java.util.EnumSet;
import java.util.Set;

/**
 * Warns, on its line, about a directive whose effect needs another that is absent: {@code netmask=} without
 * {@code persistent=} (it is the granularity of persistence: ldirectord passes ipvsadm's -M only with -p), the
 * alert mail settings where no mail is sent (no {@code emailalert=} recipient), and the NAT proxy's
 * {@code maxconns=} and {@code idletimeout=} in a service whose real servers are direct-routed, so that none is
 * silently ignored.
 */
final class DirectivesNeedingAnother {

    /** Read only for alert mail, in a block (servicename and comment appear in nothing else, as in ldirectord). */
    private static final Set<Directive> MAIL_IN_BLOCK = EnumSet.of(Directive.EMAILALERTFREQ,
            Directive.EMAILALERTSTATUS, Directive.SMTP, Directive.SERVICENAME, Directive.COMMENT);
    /** Read only for alert mail, globally. */
    private static final Set<Directive> MAIL_GLOBAL = EnumSet.of(Directive.EMAILALERTFREQ,
            Directive.EMAILALERTSTATUS, Directive.SMTP, Directive.EMAILALERTFROM);

    private DirectivesNeedingAnother() {
    }

    /** Read by the NAT proxy only: the direct-routing path keeps IPVS's per-state timeouts and no service cap. */
    private static final Set<Directive> PROXY_ONLY = EnumSet.of(Directive.MAXCONNS, Directive.IDLETIMEOUT);

    /**
     * {@code persistent}: the block has persistent=; {@code sendsMail}: it has a recipient, its own or global;
     * {@code directRouted}: its real servers forward with gate or ipip.
     */
    static void warnInBlock(Block block, boolean persistent, boolean sendsMail, boolean directRouted,
            Problems problems) {
        if (directRouted) {
            for (var e : block.settings.entrySet()) {
                if (PROXY_ONLY.contains(e.getKey())) {
                    problems.warn(e.getValue().number(), e.getKey().configName + " has no effect because this"
                            + " service's real servers are direct-routed (gate or ipip): " + (e.getKey()
                            == Directive.MAXCONNS ? "the direct-routing path caps no service, as IPVS does not;"
                            + " cap each real server with u:N on its real= line instead"
                            : "its connections follow IPVS's per-state timeouts; set them with lbadm --set tcp"
                            + " tcpfin udp"));
                }
            }
        }
        SourceLine netmask = block.get(Directive.NETMASK);
        if (netmask != null && !persistent) {
            problems.warn(netmask.number(), "netmask has no effect because this service has no persistent= (netmask"
                    + " is the granularity of persistence; ldirectord passes it to ipvsadm only with persistent=)");
        }
        if (!sendsMail) {
            for (var e : block.settings.entrySet()) {
                if (MAIL_IN_BLOCK.contains(e.getKey())) {
                    problems.warn(e.getValue().number(), e.getKey().configName + " has no effect because this"
                            + " service sends no alert mail (no emailalert= recipient, in the block or global)");
                }
            }
        }
    }

    /**
     * {@code anyServiceSendsMail}: some virtual service has a recipient; {@code xdpWithoutDirectRouting}: xdp=yes,
     * and no service's real servers are direct-routed (AF_XDP is the direct-routing path's).
     */
    static void warnGlobal(Block globals, boolean anyServiceSendsMail, boolean xdpWithoutDirectRouting,
                           Problems problems) {
        SourceLine xdp = globals.get(Directive.XDP);
        if (xdp != null && xdpWithoutDirectRouting) {
            problems.warn(xdp.number(), "xdp has no effect because no virtual service is direct-routed (gate or"
                    + " ipip): AF_XDP is how direct routing receives; the NAT proxy does not use it");
        }
        if (anyServiceSendsMail) {
            return;
        }
        for (var e : globals.settings.entrySet()) {
            if (MAIL_GLOBAL.contains(e.getKey())) {
                problems.warn(e.getValue().number(), e.getKey().configName + " has no effect because no virtual"
                        + " service sends alert mail (no emailalert= recipient)");
            }
        }
    }
}
