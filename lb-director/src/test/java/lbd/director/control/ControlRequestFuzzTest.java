package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Any line a client of the control socket may send: {@link ControlRequest#parse} returns a request or throws
 * {@link ControlException} — ControlService answers {@code ERR message} for that and for nothing else — and the
 * message is one line, since the reply's first line is its frame. A request that parses reads back the same from
 * its {@link ControlRequest#toLine()}, which is what lbadm sends.
 */
class ControlRequestFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void parsesToARequestOrAOneLineError(byte[] input) {
        // As ControlServer reads it: the bytes before the first newline, at most MAX_LINE of them, as UTF-8.
        int end = 0;
        while (end < input.length && end < ControlRequest.MAX_LINE && input[end] != '\n') {
            end++;
        }
        String line = new String(Arrays.copyOf(input, end), StandardCharsets.UTF_8);

        ControlRequest request;
        try {
            request = ControlRequest.parse(line);
        } catch (ControlException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n", "\r");
            return;
        }
        assertThat(ControlRequest.parse(request.toLine())).isEqualTo(request);
    }
}
