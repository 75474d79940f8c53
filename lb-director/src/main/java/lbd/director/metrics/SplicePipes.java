package lbd.director.metrics;

/**
 * The NAT proxy's splice pipes (epoll): each splicing connection direction holds one, two descriptors and 64 KiB,
 * until its connection closes.
 *
 * @param inUse pipes held now, all event loops together
 * @param limit the most directions that splice at once (0 = no limit); past it bulk data is copied
 */
public record SplicePipes(int inUse, int limit) {
}
