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
 * @param persistentConn --persistent-conn: Weight PersistConn ActiveConn InActConn (--stats and --rate win, as in
 *                ipvsadm)
 * @param thresholds --thresholds: Uthreshold Lthreshold ActiveConn InActConn (--stats and --rate win over it, it
 *                wins over --persistent-conn, as in ipvsadm's print_title)
 */
public record ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort,
        boolean rules, boolean persistentConn, boolean thresholds) {

    /** Without --thresholds. */
    public ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort,
            boolean rules, boolean persistentConn) {
        this(numeric, stats, rate, exact, noSort, rules, persistentConn, false);
    }

    /** Without --persistent-conn. */
    public ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort,
            boolean rules) {
        this(numeric, stats, rate, exact, noSort, rules, false);
    }

    public static final ListingOptions NUMERIC = new ListingOptions(true, false, false, false, false);

    /** A listing (not -S). */
    public ListingOptions(boolean numeric, boolean stats, boolean rate, boolean exact, boolean noSort) {
        this(numeric, stats, rate, exact, noSort, false);
    }
}
