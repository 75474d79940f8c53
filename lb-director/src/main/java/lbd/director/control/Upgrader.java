package lbd.director.control;

/**
 * {@code lbd upgrade} as the control socket's {@code upgrade} request reaches it (lbd.director.upgrade): hands this
 * lbd over to a new process, or refuses with a {@link ControlException} that says why, this lbd serving on.
 */
public interface Upgrader {

    /** @param drain how long this lbd then lets its open connections finish, at most */
    ControlHandler.Upgraded upgrade(java.time.Duration drain);
}
