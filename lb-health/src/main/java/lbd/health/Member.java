package lbd.health;

import java.util.Objects;

import lbd.config.model.RealServer;

/**
 * One entry of a service's effective membership, what the data plane should schedule over.
 *
 * @param server   the real (or fallback) server
 * @param weight   the weight to schedule with: 0 means existing connections continue but no new ones
 * @param fallback this is the fallback server, present because every real server is down
 */
public record Member(RealServer server, int weight, boolean fallback) {

    public Member {
        Objects.requireNonNull(server, "server");
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0: " + weight);
        }
    }
}
