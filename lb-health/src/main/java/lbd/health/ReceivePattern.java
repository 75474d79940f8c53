package lbd.health;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code receive} regular expression of a negotiate check, compiled once when the probe is built. An empty
 * or unset receive means any answer passes. An expression that does not compile is kept as an operator-facing
 * reason, so that each check reports the server down with it rather than the whole configuration failing.
 */
final class ReceivePattern {

    private final String text;      // null when unset or empty
    private final Pattern pattern;  // null when unset, empty or invalid
    private final String invalid;   // null unless text does not compile
    private Matcher matcher;        // made at the first answer, reset for each

    private ReceivePattern(String text, Pattern pattern, String invalid) {
        this.text = text;
        this.pattern = pattern;
        this.invalid = invalid;
    }

    static ReceivePattern of(Optional<String> receive) {
        String text = receive.filter(r -> !r.isEmpty()).orElse(null);
        if (text == null) {
            return new ReceivePattern(null, null, null);
        }
        try {
            return new ReceivePattern(text, Pattern.compile(text), null);
        } catch (PatternSyntaxException e) {
            return new ReceivePattern(text, null, "negotiate: receive \"" + text
                    + "\" is not a valid regular expression (" + e.getDescription()
                    + "); fix receive= in the configuration");
        }
    }

    /** Whether a receive expression is configured (an invalid one counts). */
    boolean isSet() {
        return text != null;
    }

    /** The expression as written in the configuration; null when unset. */
    String text() {
        return text;
    }

    /** Why every check fails when the expression does not compile; null when it compiled or is unset. */
    String invalidReason() {
        return invalid;
    }

    /**
     * Whether {@code answer} contains a match; only meaningful when set and valid. One matcher, reset for each answer:
     * a new one per check was a tenth of the HTTP checks' garbage. Probes of one server never overlap (one thread at a
     * time, as {@link HttpProbe}'s last verdict).
     */
    boolean foundIn(CharSequence answer) {
        Matcher m = matcher;
        if (m == null) {
            m = pattern.matcher(answer);
            matcher = m;
        } else {
            m.reset(answer);
        }
        boolean found = m.find();
        m.reset(""); // holds no response between checks
        return found;
    }
}
