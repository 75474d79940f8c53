package lbd.director.host;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import lbd.config.model.ClusterConfig;
import lbd.config.model.VirtualService;

/**
 * sourceaddress= names addresses lbd binds its connections to real servers to: each must be configured on this host
 * when lbd starts or reloads, or every connect from it would fail (EADDRNOTAVAIL) and be taken for a real server's
 * refusal. One line per address that is not, with the fix.
 */
public final class SourceAddressCheck {

    private SourceAddressCheck() {
    }

    /** The problems of {@code config}'s source addresses on this host; empty when there are none. */
    public static List<String> problems(ClusterConfig config) {
        return problems(config, SourceAddressCheck::isLocal);
    }

    static List<String> problems(ClusterConfig config, Predicate<InetAddress> local) {
        List<String> problems = new ArrayList<>();
        for (VirtualService vs : config.virtualServices()) {
            for (InetAddress address : vs.nat().sourceAddresses()) {
                if (!local.test(address)) {
                    problems.add("sourceaddress= " + address.getHostAddress() + " of " + vs.key() + " is not an"
                            + " address of this host: add it (ip addr add " + address.getHostAddress()
                            + (address.getAddress().length == 4 ? "/32" : "/128") + " dev IFACE) or remove it");
                }
            }
        }
        return problems;
    }

    private static boolean isLocal(InetAddress address) {
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
