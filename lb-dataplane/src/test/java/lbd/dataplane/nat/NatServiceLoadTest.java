package lbd.dataplane.nat;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import lbd.config.model.Endpoint;
import lbd.config.model.Protocol;
import lbd.config.model.VirtualServiceKey;
import lbd.dataplane.worker.WorkerShare;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class NatServiceLoadTest {

    private static final VirtualServiceKey SERVICE = new VirtualServiceKey(Protocol.TCP, Endpoint.of("127.0.0.1", 8080));

    @Test
    void loopSharesAddUpToTheCapExactly() {
        for (int loops = 1; loops <= 16; loops++) {
            for (int max = 1; max <= 200; max++) {
                int sum = 0;
                for (int i = 0; i < loops; i++) {
                    int share = WorkerShare.of(max, i, loops);
                    assertThat(share).isBetween(max / loops, max / loops + 1);
                    sum += share;
                }
                assertThat(sum).as("max=%d loops=%d", max, loops).isEqualTo(max);
            }
        }
    }

    @Test
    void admitsUpToItsShareThenRefusesUntilOneIsReleased() {
        ServiceLoad load = new ServiceLoad(SERVICE, 0, 2); // loop 0 of 2 with maxconns=5: a share of 3
        assertThat(load.tryAdmit(5)).isTrue();
        assertThat(load.tryAdmit(5)).isTrue();
        assertThat(load.tryAdmit(5)).isTrue();
        assertThat(load.tryAdmit(5)).isFalse();
        load.release();
        assertThat(load.tryAdmit(5)).isTrue();
        assertThat(load.connections()).isEqualTo(3);
    }

    @Test
    void noCapAdmitsEverything() {
        ServiceLoad load = new ServiceLoad(SERVICE, 3, 4);
        for (int i = 0; i < 10_000; i++) {
            assertThat(load.tryAdmit(0)).isTrue();
        }
    }

    @Test
    void refusalsAreLoggedOnceInABurstWithTheServiceAndCap() {
        Logger logger = (Logger) LoggerFactory.getLogger(ServiceLoad.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            ServiceLoad load = new ServiceLoad(SERVICE, 0, 1);
            assertThat(load.tryAdmit(1)).isTrue();
            for (int i = 0; i < 100; i++) {
                assertThat(load.tryAdmit(1)).isFalse();
            }
            assertThat(appender.list).hasSize(1);
            assertThat(appender.list.getFirst().getLevel()).isEqualTo(Level.WARN);
            assertThat(appender.list.getFirst().getFormattedMessage())
                    .isEqualTo("lbd: service TCP 127.0.0.1:8080 reached maxconns=1; refusing new connections");
        } finally {
            logger.detachAppender(appender);
        }
    }
}
