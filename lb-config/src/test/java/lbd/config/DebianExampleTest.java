package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The example file the Debian ldirectord package ships, read at test time (never copied into the repository):
 * each commented sample block, uncommented after the file's global section, either loads or is rejected only
 * with "not supported" errors (yet, or with the reason), each on the line of the directive it names.
 */
class DebianExampleTest {

    static final Path EXAMPLE = Path.of("/usr/share/doc/ldirectord/examples/ldirectord.cf");
    private static final Pattern VIRTUAL_LINE = Pattern.compile("#?virtual6?\\s*=.*");
    /** The SIP sample writes "192.168.6.2::5060" (a typo for one ':'); lbd reports it as a bad address. */
    private static final Pattern KNOWN_TYPO = Pattern.compile("\\s*real6?=\\S*[0-9]::[0-9].*");

    @TestFactory
    Stream<DynamicTest> everySampleLoadsOrIsRejectedAsNotSupportedYet() throws IOException {
        assumeTrue(Files.isReadable(EXAMPLE), EXAMPLE + " is absent: install the ldirectord package to run this test");
        List<List<String>> blocks = blocks(Files.readAllLines(EXAMPLE));
        int firstSample = 0;
        while (firstSample < blocks.size() && blocks.get(firstSample).stream().noneMatch(l -> VIRTUAL_LINE.matcher(l).matches())) {
            firstSample++;
        }
        List<String> preamble = new ArrayList<>();
        blocks.subList(0, firstSample).forEach(b -> {
            preamble.addAll(b);
            preamble.add("");
        });
        List<DynamicTest> tests = new ArrayList<>();
        List<ConfigResult> results = new ArrayList<>();
        for (List<String> block : blocks.subList(firstSample, blocks.size())) {
            List<String> lines = new ArrayList<>(preamble);
            lines.addAll(uncomment(block));
            String virtual = lines.stream().filter(l -> l.matches("virtual6?\\s*=.*")).findFirst().orElse("(no virtual)");
            String text = String.join("\n", lines) + "\n";
            tests.add(DynamicTest.dynamicTest(virtual + " (" + block.getFirst() + ")", () -> {
                ConfigResult result = ConfigLoader.parse("example.cf", text, Fixtures.RESOLVER);
                results.add(result);
                if (result instanceof ConfigResult.Invalid invalid) {
                    for (ConfigError e : invalid.errors()) {
                        String line = lines.get(e.line() - 1);
                        String directive = e.message().substring(0, e.message().indexOf(':'));
                        assertThat(line.strip()).as("the line of %s", e).startsWith(directive);
                        if (KNOWN_TYPO.matcher(line).matches()) {
                            assertThat(e.message()).as("%s", e).contains("more than one ':'");
                        } else {
                            // "not supported yet", or (firewall marks) "not supported" with lbd's rewrite
                            assertThat(e.message()).as("%s", e).contains("not supported");
                        }
                    }
                }
            }));
        }
        tests.add(DynamicTest.dynamicTest("the active sample loads and the fwmark sample is refused on its virtual line", () -> {
            assertThat(results).hasSize(tests.size() - 1);
            assertThat(results).filteredOn(r -> r instanceof ConfigResult.Loaded).isNotEmpty();
            assertThat(results).filteredOn(r -> r instanceof ConfigResult.Invalid i
                    && i.errors().stream().anyMatch(e -> e.message().startsWith("virtual: firewall-mark"))).hasSize(1);
        }));
        assertThat(tests).hasSizeGreaterThan(10);
        return tests.stream();
    }

    /** Runs of non-blank lines. */
    static List<List<String>> blocks(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    blocks.add(current);
                    current = new ArrayList<>();
                }
            } else {
                current.add(line);
            }
        }
        if (!current.isEmpty()) {
            blocks.add(current);
        }
        return blocks;
    }

    /** From the commented virtual= line on, removes one '#' from each line (the prose above it stays a comment). */
    static List<String> uncomment(List<String> block) {
        List<String> out = new ArrayList<>();
        boolean inConfig = false;
        for (String line : block) {
            if (line.startsWith("#virtual")) {
                inConfig = true;
            }
            out.add(inConfig && line.startsWith("#") ? line.substring(1) : line);
        }
        return out;
    }
}
