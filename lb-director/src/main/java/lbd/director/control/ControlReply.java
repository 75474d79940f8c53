package lbd.director.control;

import java.util.Objects;

/**
 * The daemon's answer: success or an error message, and a body (a listing, a summary) that may be empty.
 * On the wire: {@code OK} or {@code ERR message} on the first line, then the body. {@code afterSent} (not on the
 * wire) runs once the reply has been written and the connection closed: an upgrade's old process stops only then.
 */
public record ControlReply(boolean ok, String message, String body, Runnable afterSent) {

    private static final Runnable NOTHING = () -> { };

    public ControlReply {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(afterSent, "afterSent");
    }

    public ControlReply(boolean ok, String message, String body) {
        this(ok, message, body, NOTHING);
    }

    /** Success, and {@code then} once it is sent. */
    public static ControlReply ok(String body, Runnable then) {
        return new ControlReply(true, "", body, then);
    }

    public static ControlReply ok(String body) {
        return new ControlReply(true, "", body);
    }

    public static ControlReply error(String message) {
        // One line, whatever the cause: the message is the operator's, not a stack trace.
        return new ControlReply(false, message.replace('\n', ' ').strip(), "");
    }

    String toWire() {
        return (ok ? "OK" : "ERR " + message) + "\n" + body;
    }

    static ControlReply fromWire(String text) {
        int eol = text.indexOf('\n');
        String first = eol < 0 ? text : text.substring(0, eol);
        String body = eol < 0 ? "" : text.substring(eol + 1);
        if (first.equals("OK")) {
            return ok(body);
        }
        if (first.startsWith("ERR ")) {
            return new ControlReply(false, first.substring(4), body);
        }
        throw new ControlException("lbd sent a reply lbadm does not understand: " + first);
    }
}
