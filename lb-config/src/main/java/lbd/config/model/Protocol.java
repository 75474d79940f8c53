package lbd.config.model;

/** The transport protocol of a virtual service ({@code protocol=} in ldirectord.cf). */
public enum Protocol {
    TCP, UDP, FWM;

    /** As the first column of an ipvsadm listing. */
    public String listingName() {
        return name();
    }
}
