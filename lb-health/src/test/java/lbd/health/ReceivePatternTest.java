package lbd.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReceivePatternTest {

    @Test
    void oneReusedMatcherJudgesEachAnswerOnItsOwn() {
        ReceivePattern receive = ReceivePattern.of(Optional.of("fo+und"));
        assertThat(receive.foundIn("it was found")).isTrue();
        assertThat(receive.foundIn("nothing here")).isFalse();
        assertThat(receive.foundIn("foooound")).isTrue();
        assertThat(receive.foundIn("")).isFalse();
        assertThat(receive.foundIn("fund")).isFalse();
    }

    @Test
    void anUnsetOrEmptyExpressionIsNotSetAndABrokenOneSaysWhy() {
        assertThat(ReceivePattern.of(Optional.empty()).isSet()).isFalse();
        assertThat(ReceivePattern.of(Optional.of("")).isSet()).isFalse();
        ReceivePattern broken = ReceivePattern.of(Optional.of("found("));
        assertThat(broken.isSet()).isTrue();
        assertThat(broken.invalidReason()).contains("receive \"found(\" is not a valid regular expression");
    }
}
