package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExcerptTest {

    @Test
    void shortPrintableTextIsShownAsItIs() {
        assertThat(Excerpt.of("list numeric")).isEqualTo("list numeric");
        assertThat(Excerpt.quoted("\\d+ ok")).isEqualTo("\"\\d+ ok\"");
    }

    @Test
    void newlinesControlCharactersAndNonAsciiAreEscapedSoTheTextStaysOnOneLine() {
        assertThat(Excerpt.of("ping\nOK forged\r\tx\u0000\u001b[31m\u007f"))
                .isEqualTo("ping\\nOK forged\\r\\tx\\u0000\\u001b[31m\\u007f");
        assertThat(Excerpt.of("caf\u00e9 \u202e \u2028 \ufffd")).isEqualTo("caf\\u00e9 \\u202e \\u2028 \\ufffd");
    }

    @Test
    void longTextIsCutAfterSixtyCharactersAndSaysHowManyMoreThereWere() {
        String megabyte = "a".repeat(1 << 20);
        assertThat(Excerpt.of(megabyte)).isEqualTo("a".repeat(60) + "… (1048516 more characters)");
        assertThat(Excerpt.quoted(megabyte)).isEqualTo("\"" + "a".repeat(60) + "…\" (1048516 more characters)");
        assertThat(Excerpt.of("b".repeat(61))).isEqualTo("b".repeat(60) + "… (1 more character)");
        assertThat(Excerpt.of("c".repeat(60))).isEqualTo("c".repeat(60));
    }

    @Test
    void theCutNeverSplitsACharacterOutsideTheBasicPlane() {
        String text = "x".repeat(59) + "\ud83d\ude00" + "y".repeat(10);
        assertThat(Excerpt.of(text)).isEqualTo("x".repeat(59) + "\\ud83d\\ude00… (10 more characters)");
    }
}
