package lbd.director.core;

/** A failure the operator must see as one clear line (no stack trace): the message says what to do. */
public final class DirectorException extends RuntimeException {

    public DirectorException(String message) {
        super(message);
    }

    public DirectorException(String message, Throwable cause) {
        super(message, cause);
    }
}
