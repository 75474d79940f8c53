package lbd.director.ha;

import java.util.List;

/**
 * The HA configuration (ha.cf, authkeys, haresources) cannot be used. The message is for the operator: one line
 * per problem, each saying which file and line, what is wrong and what to do. lbd refuses to start, as heartbeat
 * would.
 */
public final class HaConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<String> problems;

    public HaConfigException(List<String> problems) {
        super(String.join(System.lineSeparator(), problems));
        this.problems = List.copyOf(problems);
    }

    public HaConfigException(String problem) {
        this(List.of(problem));
    }

    /** One operator-facing line per problem. */
    public List<String> problems() {
        return problems;
    }
}
