package lbd.director.listing;

/**
 * How {@code lbadm -L} prints: ipvsadm's flags.
 *
 * @param numeric -n: addresses and ports as numbers
 * @param stats   --stats: Conns InPkts OutPkts InBytes OutBytes
 * @param rate    --rate: CPS InPPS OutPPS InBPS OutBPS
 * @param exact   --exact: the exact values instead of K/M/G/T abbreviations
 * @param noSort  --nosort: services and real servers in table order instead of sorted
 */
public record ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort) {

    public static final ListingOptions NUMERIC = new ListingOptions(true, false, false, false, false);
}
