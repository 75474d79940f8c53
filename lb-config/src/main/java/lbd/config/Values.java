package lbd.config;

/** Parsers for the scalar values of ldirectord.cf. Each throws {@link BadValue} saying what is allowed. */
final class Values {

    private Values() {
    }

    /** A whole number in [min, max]; {@code what} names the unit for the message, e.g. "seconds". */
    static int integer(String value, int min, int max, String what) {
        String v = unquote(value);
        if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new BadValue(Excerpt.quoted(value) + " is not a whole number; expected " + what
                    + " from " + min + " to " + max);
        }
        long n = Long.parseLong(v);
        if (n < min || n > max) {
            throw new BadValue(n + " is out of range; expected " + what + " from " + min + " to " + max);
        }
        return (int) n;
    }

    /** Seconds, at least 1 (ldirectord rejects 0 for every interval and timeout). */
    static int seconds(String value) {
        return integer(value, 1, 86_400, "a number of seconds");
    }

    static boolean yesNo(String value) {
        return switch (unquote(value)) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new BadValue(Excerpt.quoted(value) + " is not yes or no");
        };
    }

    /** Removes one pair of surrounding straight double quotes, if present; rejects a missing closing quote. */
    static String unquote(String value) {
        if (value.startsWith("\"")) {
            if (value.length() < 2 || !value.endsWith("\"")) {
                throw new BadValue("missing closing double quote in " + Excerpt.of(value));
            }
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** A string value that must not be empty, quoted or not. */
    static String text(String value, String example) {
        String v = unquote(value);
        if (v.isBlank()) {
            throw new BadValue("is empty; give a value, e.g. " + example);
        }
        return v;
    }
}
