package lbd.director.core;

import static org.assertj.core.api.Assertions.assertThat;

import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.GlobalSettings;
import org.junit.jupiter.api.Test;

class ConnectionCeilingTest {

    @Test
    void fromTheOpenFilesLimitTwoDescriptorsPerConnectionAfterWhatLbdHoldsAndTheReserve() {
        // 65536 - 120 open - 64 reserved - 2 loops x 72 = 65208 descriptors: 32604 connections.
        ConnectionCeiling c = ConnectionCeiling.of(0, 65_536, 120, 2);
        assertThat(c.maxConnections()).isEqualTo(32_604);
        assertThat(c.beyondLimit()).isFalse();
        assertThat(c.describe()).isEqualTo("lbd: at most 32604 open connections (what the open-files limit 65536"
                + " allows at two descriptors each; ulimit -n, LimitNOFILE= in the unit; maxconn= lowers it)");
    }

    @Test
    void aLimitTooSmallForAnythingStillLetsEachLoopTakeOneConnection() {
        assertThat(ConnectionCeiling.of(0, 128, 100, 4).maxConnections()).isEqualTo(4);
    }

    @Test
    void anUnlimitedLimitIsCappedAsMaxconnIs() {
        assertThat(ConnectionCeiling.of(0, Long.MAX_VALUE, 50, 8).maxConnections())
                .isEqualTo(ConnectionCeiling.MAX);
    }

    @Test
    void maxconnWinsAndIsCalledOutWhenTheDescriptorsCannotCarryIt() {
        ConnectionCeiling lower = ConnectionCeiling.of(1_000, 65_536, 120, 2);
        assertThat(lower.maxConnections()).isEqualTo(1_000);
        assertThat(lower.beyondLimit()).isFalse();
        assertThat(lower.describe()).isEqualTo("lbd: at most 1000 open connections (maxconn=)");

        ConnectionCeiling beyond = ConnectionCeiling.of(1_000, 256, 100, 1);
        assertThat(beyond.maxConnections()).isEqualTo(1_000);
        assertThat(beyond.beyondLimit()).isTrue();
        assertThat(beyond.describe()).isEqualTo("lbd: maxconn=1000 is more than the open-files limit 256 allows"
                + " (about 10 connections at two descriptors each): lbd will run short of descriptors before it"
                + " reaches maxconn; raise LimitNOFILE= in the unit (ulimit -n) or lower maxconn");
    }

    @Test
    void aReloadNamesTheGlobalsItCannotChangeWhileRunning() {
        GlobalSettings before = globals("transport=epoll\neventloops=2\nmaxconn=5000\n");
        GlobalSettings after = globals("transport=nio\neventloops=2\nmaxconn=6000\nmetrics=127.0.0.1:9100\n");
        assertThat(Director.startOnlyChanges(before, after)).containsExactly("transport=", "maxconn=", "metrics=");
        assertThat(Director.startOnlyChanges(before, before)).isEmpty();
        // logformat= is read at start, like logfile=; loglevel= is applied by the reload itself.
        GlobalSettings json = globals("transport=epoll\neventloops=2\nmaxconn=5000\nlogformat=json\nloglevel=debug\n");
        assertThat(Director.startOnlyChanges(before, json)).containsExactly("logformat=");
    }

    private static GlobalSettings globals(String text) {
        ConfigResult result = ConfigLoader.parse("test.cf", text + "virtual=127.0.0.1:80\n\treal=127.0.0.2:80 masq\n");
        return ((ConfigResult.Loaded) result).config().globals();
    }
}
