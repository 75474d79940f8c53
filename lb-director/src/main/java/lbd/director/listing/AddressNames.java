package lbd.director.listing;

import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;

/** How a listing names an address and port: numbers ({@code -n}) or host and service names ({@code -L}). */
@FunctionalInterface
public interface AddressNames {

    /** {@code 10.8.8.45:80} or {@code www.example.org:http}; IPv6 addresses in brackets. */
    String name(Endpoint endpoint, Protocol protocol);

    /** As {@code ipvsadm -n}: never resolves. */
    AddressNames NUMERIC = (endpoint, protocol) -> endpoint.toString();
}
