package lbd.director.control;

/**
 * {@code lbd upgrade} as the control socket's {@code upgrade} request reaches it (lbd.director.upgrade): hands this
 * lbd over to a new process, or refuses with a {@link ControlException} that says why, this lbd serving on.
 */
public interface Upgrader {

    ControlHandler.Upgraded upgrade();
}
