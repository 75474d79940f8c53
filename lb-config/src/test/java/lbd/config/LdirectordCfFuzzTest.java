package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Any bytes given as an ldirectord.cf: the loader's contract is a {@link ConfigResult} — a model, or errors that
 * each point at a line of the text — and never an exception, whatever an operator (or a broken editor) wrote.
 *
 * <p>Seeds: the field guides' files, Debian's example and the malformed shapes of MalformedConfigTest, in
 * {@code LdirectordCfFuzzTestInputs/parseNeverThrows}. Runs them as a regression test in {@code mvn verify};
 * fuzzes for a few seconds in the {@code fuzz} surefire execution (see README, Tests).
 */
class LdirectordCfFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void parseNeverThrows(byte[] input) {
        // As ConfigLoader.load reads a file: UTF-8 (malformed bytes become U+FFFD, as a lenient editor shows them).
        String text = new String(input, StandardCharsets.UTF_8);
        int lines = text.split("\r?\n|\r", -1).length;

        ConfigResult result = ConfigLoader.parse("fuzz.cf", text, Fixtures.RESOLVER);

        switch (result) {
            case ConfigResult.Loaded loaded -> assertThat(loaded.config().virtualServices()).isNotNull();
            case ConfigResult.Invalid invalid -> assertThat(invalid.errors()).allSatisfy(e -> {
                assertThat(e.source()).isEqualTo("fuzz.cf");
                assertThat(e.line()).as("line of %s", e).isBetween(1, lines);
                assertThat(e.message()).isNotBlank().doesNotContain("\n");
            });
        }
    }
}
