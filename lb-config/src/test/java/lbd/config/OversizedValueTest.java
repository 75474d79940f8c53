package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A value of any size is quoted in an error as at most {@link Excerpt#SHOWN} characters and a count: {@code lbd
 * --check} once echoed a whole 1 MB value in its error line.
 */
class OversizedValueTest {

    // Far longer than what is shown; a megabyte would only slow the test (Pattern.compile of receive= is quadratic).
    private static final String LONG = "a".repeat(10_000);

    /** Shapes that reach the different parsers and their messages. */
    private static final List<String> VALUES = List.of(LONG, "9".repeat(10_000), "\"" + LONG, "10.0.0.3:" + LONG,
            "10.0.0.3:" + "9".repeat(10_000), LONG + ":80", "1:2:" + LONG, "[" + LONG, "[::1]" + LONG,
            "[" + "f".repeat(10_000) + "]:80", "10.0.0.3->" + LONG, "10.0.0.3 " + LONG, "10.0.0.3:80 " + LONG,
            "10.0.0.3:80 masq " + LONG, "10.0.0.3:80 masq 1 \"" + LONG, "10.0.0.3:80 masq 1 " + LONG,
            "255." + "2".repeat(10_000), LONG + ",all", "x" + "\u00a0".repeat(10_000));

    private static final String SERVICE = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n";

    /** Also finds a bad value that escapes as an exception instead of an error (protocol="tcp did). */
    @Test
    void everyErrorAboutAHugeValueOfEveryDirectiveFitsOnALine() {
        for (Directive d : Directive.values()) {
            for (String value : VALUES) {
                String line = d.configName + "=" + value + "\n";
                String text = switch (d.scope) {
                    case GLOBAL, BOTH -> line + SERVICE;
                    case BLOCK_START -> line + "\treal=10.0.0.2:80 masq\n";
                    case VIRTUAL -> SERVICE + "\t" + line;
                };
                assertErrorsAreShort(d.configName + "=" + Excerpt.of(value), text);
            }
        }
    }

    @Test
    void aHugeDirectiveNameOrLineIsCutToo() {
        assertErrorsAreShort("unknown name", LONG + "=1\n" + SERVICE);
        assertErrorsAreShort("no value", LONG + " x\n" + SERVICE);
        assertErrorsAreShort("no directive", "=" + LONG + "\n" + SERVICE);
        assertErrorsAreShort("typographic quote", LONG + "=\u201c1\u201d\n" + SERVICE);
    }

    @Test
    void theErrorShowsTheStartOfTheValueAndHowMuchWasLeftOut() {
        assertThat(Fixtures.onlyError("checkinterval=" + "7x".repeat(500_000) + "\n" + SERVICE))
                .isEqualTo("test.cf:1: checkinterval: \"" + "7x".repeat(30) + "…\" (999940 more characters) is not a"
                        + " whole number; expected a number of seconds from 1 to 86400");
    }

    private static void assertErrorsAreShort(String what, String text) {
        if (Fixtures.parse(text) instanceof ConfigResult.Invalid invalid) {
            for (ConfigError e : invalid.errors()) {
                assertThat(e.toString().length()).as("%s: %s", what, Excerpt.of(e.toString())).isLessThan(600);
            }
        }
    }
}
