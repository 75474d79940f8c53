package lbd.config;

/**
 * The seed every QuickTheories property in the project runs with: fixed, so CI sees the same examples on every
 * run, unless {@code -Dlbd.prop.seed=N} (decimal or 0x-hex) or {@code -Dlbd.prop.seed=random} asks for another.
 * A falsified property's message ends with "Seed was N"; pass that N back to replay it.
 *
 * <p>Shared with the other modules' tests through lb-config's test-jar, so that one switch replays them all.
 */
public final class PropertySeed {

    public static final String PROPERTY = "lbd.prop.seed";
    private static final long FIXED = 0x6C62_64L; // "lbd"

    private PropertySeed() {
    }

    public static long seed() {
        String value = System.getProperty(PROPERTY, "").strip();
        if (value.isEmpty()) {
            return FIXED;
        }
        if (value.equalsIgnoreCase("random")) {
            return System.nanoTime();
        }
        try {
            return Long.decode(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + PROPERTY + "=" + value + " is not a seed: give a whole number (e.g. 42 or 0x2a) or 'random'");
        }
    }
}
