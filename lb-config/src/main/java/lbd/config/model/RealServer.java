package lbd.config.model;

import java.util.Objects;
import java.util.Optional;

/**
 * One {@code real=} line (a range line yields one per address).
 *
 * @param key        stable identity (service key + RIP:port)
 * @param forwarding gate, masq or ipip
 * @param weight     configured weight (default 1); 0 means quiescent: never chosen for new connections
 * @param request    per-real-server request overriding the service's
 * @param receive    per-real-server receive overriding the service's
 * @param line       line in the configuration file, for messages
 * @param thresholds connection thresholds (ldirectord's {@code l:N u:N}, ipvsadm's -y/-x); NONE when unset
 */
public record RealServer(
        RealServerKey key,
        ForwardingMethod forwarding,
        int weight,
        Optional<String> request,
        Optional<String> receive,
        int line,
        ConnectionThresholds thresholds) {

    /** A real server without connection thresholds. */
    public RealServer(RealServerKey key, ForwardingMethod forwarding, int weight, Optional<String> request,
                      Optional<String> receive, int line) {
        this(key, forwarding, weight, request, receive, line, ConnectionThresholds.NONE);
    }

    public RealServer {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(forwarding, "forwarding");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(receive, "receive");
        Objects.requireNonNull(thresholds, "thresholds");
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0: " + weight);
        }
    }

    public Endpoint address() {
        return key.address();
    }
}
