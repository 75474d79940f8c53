package lbd.director.listing;

import java.util.Objects;
import lbd.config.model.Endpoint;

/**
 * A configured real server that is not in the live table because a health check took it out
 * (quiescent=no). ipvsadm would not show it at all; lbd lists it below the service so the operator sees why.
 *
 * @param address RIP:port
 * @param reason  the health check's verdict
 */
public record HeldOutView(Endpoint address, String reason) {

    public HeldOutView {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(reason, "reason");
    }
}
