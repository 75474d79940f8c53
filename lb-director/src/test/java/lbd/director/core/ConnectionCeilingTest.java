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
    void splicingSetsAsideAPipesTwoDescriptorsForEveryFourthConnection() {
        // 65208 descriptors as above, at 2.5 per connection: 26083 connections; a quarter of them splice.
        ConnectionCeiling c = ConnectionCeiling.of(0, 65_536, 120, 2, true, Integer.MAX_VALUE);
        assertThat(c.maxConnections()).isEqualTo(26_083);
        assertThat(c.maxPipes()).isEqualTo(6_520);
        assertThat(2L * c.maxConnections() + 2L * c.maxPipes()).isLessThanOrEqualTo(65_208);
        assertThat(c.describe()).isEqualTo("lbd: at most 26083 open connections (what the open-files limit 65536"
                + " allows at two descriptors each and a pipe's two for every fourth; ulimit -n, LimitNOFILE= in the"
                + " unit; maxconn= lowers it)");
        assertThat(c.describePipes("unused")).isEqualTo("lbd: at most 6520 connection directions splice at once,"
                + " each holding a pipe (a quarter of the connections); further bulk data is copied until one closes");
        // The same without splicing: no pipes.
        assertThat(ConnectionCeiling.of(0, 65_536, 120, 2).maxPipes()).isZero();
    }

    @Test
    void withMaxconnThePipesAreAQuarterOfItWithinTheDescriptorsLeft() {
        assertThat(ConnectionCeiling.of(1_000, 65_536, 120, 2, true, Integer.MAX_VALUE).maxPipes()).isEqualTo(250);
        // 1024 - 15 - 64 - 72 = 873 descriptors; 400 connections take 800, leaving 36 pipes.
        assertThat(ConnectionCeiling.of(400, 1_024, 15, 1, true, Integer.MAX_VALUE).maxPipes()).isEqualTo(36);
        // maxconn= beyond the limit: no descriptor left for a pipe, so no splicing at all.
        ConnectionCeiling none = ConnectionCeiling.of(1_000, 1_024, 15, 1, true, Integer.MAX_VALUE);
        assertThat(none.maxPipes()).isZero();
        assertThat(none.describePipes("unused")).isEqualTo("lbd: no zero-copy splice: the open-files limit leaves no"
                + " descriptors for its pipes; bulk data is copied");
    }

    @Test
    void aUserWithoutTheCapabilitySplicesOnlyAsManyDirectionsAsItGetsFullSizePipesFor() {
        String pages = "fs.pipe-user-pages-soft=16384, for a user without CAP_SYS_RESOURCE,";
        ConnectionCeiling c = ConnectionCeiling.of(0, 1_048_576, 120, 2, true, 1_008);
        assertThat(c.maxPipes()).isEqualTo(1_008);
        assertThat(c.pagesLimited()).isTrue();
        assertThat(c.describePipes(pages)).isEqualTo("lbd: at most 1008 connection directions splice at once, each"
                + " holding a pipe (as many as fs.pipe-user-pages-soft=16384, for a user without CAP_SYS_RESOURCE,"
                + " allows at 64 KiB each); further bulk data is copied until one closes");
        ConnectionCeiling none = ConnectionCeiling.of(0, 1_048_576, 120, 2, true, 0);
        assertThat(none.maxPipes()).isZero();
        assertThat(none.describePipes("fs.pipe-user-pages-soft=1, for a user without CAP_SYS_RESOURCE,"))
                .isEqualTo("lbd: no zero-copy splice: fs.pipe-user-pages-soft=1, for a user without"
                        + " CAP_SYS_RESOURCE, leaves no pipe of full size; bulk data is copied");
        // Fewer descriptors than pages: the descriptors decide.
        ConnectionCeiling fewer = ConnectionCeiling.of(0, 4_096, 120, 1, true, 1_008);
        assertThat(fewer.maxPipes()).isEqualTo(384);
        assertThat(fewer.pagesLimited()).isFalse();
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
