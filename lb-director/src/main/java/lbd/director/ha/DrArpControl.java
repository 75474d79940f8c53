package lbd.director.ha;

import java.net.Inet4Address;
import java.util.Set;

/**
 * The DR data plane's switch for answering ARP for its VIPs: a DR VIP is not configured on the interface, so
 * the active node's data plane answers who-has for it, and the backup's stays silent.
 */
@FunctionalInterface
public interface DrArpControl {

    void answerArp(Set<Inet4Address> vips, boolean answer);
}
