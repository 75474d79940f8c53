package lbd.dataplane.dr.sys;

/** A system call of the DR data path failed; the message says which, on what, and why, for an operator. */
public final class DrSystemException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DrSystemException(String message) {
        super(message, null, false, false);
    }
}
