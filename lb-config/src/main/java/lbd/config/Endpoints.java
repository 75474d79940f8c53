package lbd.config;

import java.util.Optional;
import lbd.config.model.Endpoint;

/**
 * One reading of {@code ADDRESS:PORT} for every place an operator writes it: ldirectord.cf's
 * {@code virtual=}/{@code real=}, lbadm's {@code -t}/{@code -r}, and the control socket's requests. The same
 * forms ({@code 10.0.0.2:80}, {@code [2001:db8::1]:80}, a host name, a port name such as {@code :http}) and the
 * same refusals, worded as in the configuration file's errors.
 */
public final class Endpoints {

    private Endpoints() {
    }

    /**
     * @param defaultPort the port when none is written ({@code -r 10.0.0.2} takes the service's), or -1: a port
     *                    must be written
     * @param resolver    host names to addresses; {@link #NUMERIC_ONLY} refuses them (the control socket, where a
     *                    request must never wait for DNS)
     * @throws IllegalArgumentException with the reason, for the caller to report with its own context
     */
    public static Endpoint parse(String text, int defaultPort, NameResolver resolver) {
        AddressParser.HostPort hp;
        try {
            hp = AddressParser.parse(text, false, false, resolver);
        } catch (BadValue e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        int port = hp.port() >= 0 ? hp.port() : defaultPort;
        if (port < 0) {
            throw new IllegalArgumentException(Excerpt.quoted(text) + " needs a port: ADDRESS:PORT, e.g. 10.0.0.2:80");
        }
        return new Endpoint(hp.first(), port);
    }

    /** A resolver that resolves nothing: only numeric addresses are accepted. */
    public static final NameResolver NUMERIC_ONLY = (hostName, ipv6) -> Optional.empty();
}
