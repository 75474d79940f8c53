package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

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

    @Property(tries = 1000)
    void loadsOrPointsAtRealLines(@ForAll("mutatedConfigurations") String text) {
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

    @Provide
    Arbitrary<String> mutatedConfigurations() {
        Arbitrary<List<Tuple.Tuple3<Integer, Integer, String>>> edits = Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 10_000),
                Arbitraries.strings().withChars(NOISE).ofMinLength(1).ofMaxLength(12))
                .as(Tuple::of).list().ofMaxSize(6);
        return Combinators.combine(Arbitraries.of(VALID), edits).as(ParserPropertiesTest::mutate);
    }

    /** Deletes, duplicates, swaps lines and inserts garbage, at positions chosen by the edits. */
    static String mutate(String base, List<Tuple.Tuple3<Integer, Integer, String>> edits) {
        List<String> lines = new ArrayList<>(List.of(base.split("\n", -1)));
        for (var edit : edits) {
            if (lines.isEmpty()) {
                lines.add(edit.get3());
                continue;
            }
            int at = edit.get2() % lines.size();
            switch (edit.get1()) {
                case 0 -> lines.remove(at);
                case 1 -> lines.add(at, lines.get(at));
                case 2 -> {
                    int other = (edit.get2() / 7) % lines.size();
                    String tmp = lines.get(at);
                    lines.set(at, lines.get(other));
                    lines.set(other, tmp);
                }
                case 3 -> {
                    String line = lines.get(at);
                    int col = line.isEmpty() ? 0 : edit.get2() % (line.length() + 1);
                    lines.set(at, line.substring(0, col) + edit.get3() + line.substring(col));
                }
                default -> lines.add(at, edit.get3());
            }
        }
        return String.join("\n", lines);
    }
}
