package lbd.config;

/**
 * Thrown by value parsers with an operator-facing explanation; the caller prefixes the directive name and
 * records it against the line. Carries no stack trace: it is a message, not a bug.
 */
final class BadValue extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BadValue(String message) {
        super(message, null, false, false);
    }
}
