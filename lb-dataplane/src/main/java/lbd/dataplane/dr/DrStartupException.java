package lbd.dataplane.dr;

/** The host is not ready for direct routing; the message says what to change, one line per problem. */
public final class DrStartupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DrStartupException(String message) {
        super(message, null, false, false);
    }
}
