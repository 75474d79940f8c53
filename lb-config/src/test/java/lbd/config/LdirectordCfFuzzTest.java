package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Any bytes given as an ldirectord.cf: the loader's contract is a {@link ConfigResult} — a model, or errors that
 * each point at a line of the text — and never an exception, whatever an operator (or a broken editor) wrote.
 *
 * <p>Seeds, in {@code LdirectordCfFuzzTestInputs/parseNeverThrows}: the field guides' files (also as reprinted
 * with typographic quotes), one file with most directives lbd reads, and the inputs of past findings. (Debian's
 * example file is not copied into the repository; DebianExampleTest reads it where it is installed.)
 */
class LdirectordCfFuzzTest {

    @FuzzTest(maxDuration = "3s")
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
