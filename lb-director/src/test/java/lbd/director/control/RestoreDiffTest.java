package lbd.director.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** lbadm -R: only the difference between the rules and the live table is sent. */
class RestoreDiffTest {

    private static final String SAVED = """
            -A -t 10.8.8.45:80 -s wlc -p 300 -M 255.255.255.0
            -a -t 10.8.8.45:80 -r 10.8.8.48:80 -g -w 1
            -a -t 10.8.8.45:80 -r 10.8.8.49:80 -g -w 2
            -A -t 10.8.8.46:25 -s rr
            -a -t 10.8.8.46:25 -r 10.8.9.2:2525 -m -w 1
            """;

    @Test
    void theSavedTableRestoredOnItselfSendsNothing() throws Exception {
        assertThat(RestoreDiff.between(RestoreDiff.read(SAVED), RestoreDiff.read(SAVED))).isEmpty();
    }

    @Test
    void aDifferentTableSendsOnlyItsDifferences() throws Exception {
        String wanted = """
                # edited by hand
                -A -t 10.8.8.45:80 -s rr -p 300 -M 255.255.255.0
                -a -t 10.8.8.45:80 -r 10.8.8.48:80 -g -w 1
                -a -t 10.8.8.45:80 -r 10.8.8.49:80 -g -w 5
                -a -t 10.8.8.45:80 -r 10.8.8.50:80 -g -w 1

                -A -t 10.8.8.47:443 -s sh -b sh-port
                """;
        List<String> sent = RestoreDiff.between(RestoreDiff.read(SAVED), RestoreDiff.read(wanted)).stream()
                .map(ControlRequest::toLine).toList();
        assertThat(sent).containsExactly(
                "delete-service tcp 10.8.8.46:25",
                "edit-service tcp 10.8.8.45:80 rr persistent 300 netmask 255.255.255.0",
                "add-service tcp 10.8.8.47:443 sh flags sh-port",
                "set-weight tcp 10.8.8.45:80 10.8.8.49:80 5",
                "add-server tcp 10.8.8.45:80 10.8.8.50:80 gate 1");
    }

    @Test
    void aChangedForwardingMethodDeletesAndAddsTheServer() throws Exception {
        String wanted = SAVED.replace("-r 10.8.9.2:2525 -m", "-r 10.8.9.2:2525 -i");
        assertThat(RestoreDiff.between(RestoreDiff.read(SAVED), RestoreDiff.read(wanted)).stream()
                .map(ControlRequest::toLine)).containsExactly("delete-server tcp 10.8.8.46:25 10.8.9.2:2525",
                "add-server tcp 10.8.8.46:25 10.8.9.2:2525 ipip 1");
    }

    @Test
    void rulesThatAreNotAddRulesOrDoNotReadAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> RestoreDiff.read("-A -t 10.0.0.1:80\n-d -t 10.0.0.1:80 -r 10.0.0.2"))
                .hasMessageStartingWith("line 2: -R restores -A and -a rules");
        assertThatThrownBy(() -> RestoreDiff.read("-a -t 10.0.0.1:80 -r 10.0.0.2 -m"))
                .hasMessage("line 1: Service not defined: TCP 10.0.0.1:80");
        assertThatThrownBy(() -> RestoreDiff.read("-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80 -s rr"))
                .hasMessage("line 2: Service already exists: TCP 10.0.0.1:80");
        assertThatThrownBy(() -> RestoreDiff.read("-A -t 10.0.0.1:80 -s nope"))
                .hasMessageStartingWith("line 1: Scheduler not found");
    }
}
