package lbd.director.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserPipePagesTest {

    @Test
    void theSoftLimitInPipesOfSixteenPagesLessThoseLbdHoldsOtherwise() {
        // Debian's default: 16384 pages, 1024 pipes of 64 KiB for the user, 16 of them kept for lbd's other pipes.
        assertThat(new UserPipePages(16_384, 0, false).fullSizePipes()).isEqualTo(1_008);
    }

    @Test
    void aHardLimitBelowTheSoftOneIsTheLimit() {
        assertThat(new UserPipePages(16_384, 3_200, false).fullSizePipes()).isEqualTo(184);
    }

    @Test
    void noLimitWithTheCapabilityOrWithoutEitherSysctl() {
        assertThat(new UserPipePages(16_384, 3_200, true).fullSizePipes()).isEqualTo(Integer.MAX_VALUE);
        assertThat(new UserPipePages(0, 0, false).fullSizePipes()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void aLimitBelowLbdsOtherPipesLeavesNone() {
        assertThat(new UserPipePages(1, 0, false).fullSizePipes()).isZero();
        assertThat(new UserPipePages(16 * 16, 0, false).fullSizePipes()).isZero();
    }

    @Test
    void eitherCapabilityLiftsTheLimitsAndThePackagedUnitsThreeDoNot() {
        // CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW: what lbd.service gives user lbd.
        assertThat(UserPipePages.exempt((1L << 10) | (1L << 12) | (1L << 13))).isFalse();
        assertThat(UserPipePages.exempt(1L << 24)).as("CAP_SYS_RESOURCE").isTrue();
        // A container's root often lacks CAP_SYS_RESOURCE (bit 24) but has CAP_SYS_ADMIN.
        assertThat(UserPipePages.exempt(0x1fffeffffffL)).isTrue();
    }

    @Test
    void thisProcessIsReadFromProc() throws Exception {
        long soft = Long.parseLong(ProcValue.read(java.nio.file.Path.of("/proc/sys/fs/pipe-user-pages-soft")));
        assertThat(UserPipePages.read().softPages()).isEqualTo(soft);
    }
}
