package lbd.director.listing;

/**
 * How {@code lbadm -L} prints: ipvsadm's flags.
 *
 * @param numeric -n: addresses and ports as numbers
 * @param stats   --stats: Conns InPkts OutPkts InBytes OutBytes
 * @param rate    --rate: CPS InPPS OutPPS InBPS OutBPS
 * @param exact   --exact: the exact values instead of K/M/G/T abbreviations
 * @param noSort  --nosort: services and real servers in table order instead of sorted
 * @param rules   -S (--save): the table as ipvsadm rules ({@code -A ...}, {@code -a ...}), no title
 */
public record ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort,
        boolean rules) {

    public static final ListingOptions NUMERIC = new ListingOptions(true, false, false, false, false);

    /** A listing (not -S). */
    public ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort) {
        this(numeric, stats, rate, exact, noSort, false);
    }
}
