package lbd.director.ha;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Any bytes as heartbeat's ha.cf, authkeys and haresources: each parser returns its model or throws
 * {@link HaConfigException} — one line per problem, naming the file — and nothing else, so that lbd refuses a bad
 * file with a message instead of a stack trace. The same text goes to all three parsers (they are small, and one
 * JVM then covers them: Jazzer fuzzes one target per JVM); the seeds are the field guide's three files.
 */
class HaFilesFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void parsersReturnAModelOrAHaConfigException(byte[] input) {
        // As HaConfig reads the files: UTF-8 (malformed bytes become U+FFFD).
        String text = new String(input, StandardCharsets.UTF_8);
        List<String> warnings = new ArrayList<>();

        HaCf cf = parsedOrRefused("ha.cf", () -> HaCfParser.parse("ha.cf", text, warnings));
        if (cf != null) {
            assertThat(cf.nodes()).hasSize(2);
            assertThat(cf.media()).isNotEmpty();
            assertThat(cf.deadtime()).isGreaterThan(cf.keepalive());
            assertThat(cf.initdead()).isGreaterThanOrEqualTo(cf.deadtime());
            // HaNode and HaStateMachine count these in nanoseconds.
            for (var time : List.of(cf.keepalive(), cf.deadtime(), cf.warntime(), cf.initdead())) {
                assertThat(time.toNanos()).isPositive();
            }
        }

        AuthKeys keys = parsedOrRefused("authkeys", () -> AuthKeys.parse("authkeys", text, warnings));
        if (keys != null) {
            assertThat(keys.sendKey().method().keyed()).isTrue();
            assertThat(keys.key(keys.sendKey().id())).contains(keys.sendKey());
            new HeartbeatCodec(keys); // what lbd does next with them: every key must make a Mac
        }

        HaResources resources = parsedOrRefused("haresources",
                () -> HaResources.parse("haresources", text, Path.of("/etc/ha.d")));
        if (resources != null) {
            assertThat(resources.vips()).isNotEmpty();
            assertThat(resources.preferredNode()).isNotBlank();
        }

        assertThat(warnings).allSatisfy(w -> assertThat(w).doesNotContain("\n"));
    }

    private static <T> T parsedOrRefused(String file, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (HaConfigException e) {
            assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith(file + ":").doesNotContain("\n"));
            return null;
        }
    }
}
