package lbd.director.control;

/**
 * A request the daemon refuses or cannot carry out. Its message goes back to lbadm as one line (what is wrong,
 * what to do) and is what lbadm prints; it is never a stack trace.
 */
public final class ControlException extends RuntimeException {

    public ControlException(String message) {
        super(message);
    }
}
