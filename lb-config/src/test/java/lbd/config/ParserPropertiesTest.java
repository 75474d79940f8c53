package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Whatever the text, the loader answers with a configuration or with errors that point at real lines of it —
 * never an exception, never an empty error list, never line 0 or a line past the end.
 */
class ParserPropertiesTest {

    private static final List<String> VALID = List.of(
            Fixtures.resource("seed1-centos5-dr.cf"),
            Fixtures.resource("seed2-centos6-heartbeat.cf"),
            """
            checktimeout=3
            fallback=127.0.0.1:80 gate
            transport=nio
            virtual=10.0.0.1:80
            \treal=10.0.0.2->10.0.0.4:80 gate 2 "/alive", "OK"
            \tscheduler=lc
            \tchecktype=2
            virtual6=[2001:db8::1]:8080
            \treal6=[2001:db8::2]:9090 masq
            \tservice=simpletcp
            \trequest="PING"
            \treceive="PONG"
            """);

    private static final String NOISE = "=#\"\t :->[]\u201D\u00A0,0123456789abcxyz.";

    @Test
    void loadsOrPointsAtRealLines() {
        qt().withFixedSeed(PropertySeed.seed())
                .withExamples(1000)
                .forAll(Generate.pick(VALID), edits())
                .as(ParserPropertiesTest::mutate)
                .checkAssert(ParserPropertiesTest::loadsOrPointsAtRealLines);
    }

    private static void loadsOrPointsAtRealLines(String text) {
        ConfigResult result = ConfigLoader.parse("prop.cf", text, Fixtures.RESOLVER);
        int lineCount = text.split("\r?\n|\r", -1).length;
        switch (result) {
            case ConfigResult.Loaded loaded -> assertThat(loaded.config()).isNotNull();
            case ConfigResult.Invalid invalid -> {
                assertThat(invalid.errors()).isNotEmpty();
                for (ConfigError e : invalid.errors()) {
                    assertThat(e.line()).as("%s", e).isBetween(1, lineCount);
                    assertThat(e.message()).as("%s", e).isNotBlank().doesNotContain("\n").doesNotContain("Exception");
                    assertThat(e.toString()).startsWith("prop.cf:" + e.line() + ": ");
                }
            }
        }
    }

    /** Up to 6 edits: a kind 0..4, a position 0..10000 and 1..12 characters of noise. */
    private static Gen<List<Edit>> edits() {
        Gen<String> noise = lists().of(Generate.pick(NOISE.chars().mapToObj(c -> (char) c).toList()))
                .ofSizeBetween(1, 12)
                .map(chars -> chars.stream().map(String::valueOf).collect(Collectors.joining()));
        Gen<Edit> edit = integers().between(0, 4).zip(integers().between(0, 10_000), noise, Edit::new);
        return lists().of(edit).ofSizeBetween(0, 6);
    }

    /** One change to a configuration's lines; {@code kind} picks which (see {@link #mutate}). */
    record Edit(int kind, int position, String noise) {
    }

    /** Deletes, duplicates, swaps lines and inserts garbage, at positions chosen by the edits. */
    static String mutate(String base, List<Edit> edits) {
        List<String> lines = new ArrayList<>(List.of(base.split("\n", -1)));
        for (Edit edit : edits) {
            if (lines.isEmpty()) {
                lines.add(edit.noise());
                continue;
            }
            int at = edit.position() % lines.size();
            switch (edit.kind()) {
                case 0 -> lines.remove(at);
                case 1 -> lines.add(at, lines.get(at));
                case 2 -> {
                    int other = (edit.position() / 7) % lines.size();
                    String tmp = lines.get(at);
                    lines.set(at, lines.get(other));
                    lines.set(other, tmp);
                }
                case 3 -> {
                    String line = lines.get(at);
                    int col = line.isEmpty() ? 0 : edit.position() % (line.length() + 1);
                    lines.set(at, line.substring(0, col) + edit.noise() + line.substring(col));
                }
                default -> lines.add(at, edit.noise());
            }
        }
        return String.join("\n", lines);
    }
}
