package lbd.config;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Finds a {@link Directive} by the name written in the file, and suggests the nearest one for a typo. */
final class DirectiveTable {

    private static final Map<String, Directive> BY_NAME = new HashMap<>();

    static {
        for (Directive d : Directive.values()) {
            BY_NAME.put(d.configName, d);
        }
    }

    private DirectiveTable() {
    }

    /** Directive names are lower case, exactly as ldirectord reads them. */
    static Optional<Directive> lookup(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The known directive closest to {@code name} (case-insensitive edit distance), if it is close enough. */
    static Optional<String> nearest(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : BY_NAME.keySet()) {
            int d = editDistance(wanted, known);
            if (d < bestDistance || (d == bestDistance && known.compareTo(best) < 0)) {
                best = known;
                bestDistance = d;
            }
        }
        // A third of the name may be wrong (typos, a missing letter, "check_interval"), but never more than 3.
        int tolerated = Math.min(3, Math.max(1, wanted.length() / 3));
        return bestDistance <= tolerated ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance, with a swap of two neighbours counting as one edit (optimal string alignment). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
