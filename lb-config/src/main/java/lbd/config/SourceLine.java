package lbd.config;

/**
 * One meaningful line of an ldirectord.cf, after the comment is stripped: {@code key=value}.
 *
 * @param number   1-based line number in the source
 * @param indented whether it starts with a tab or a space (lines of a virtual block are indented)
 * @param key      the directive name as written
 * @param value    the value with surrounding blanks removed (quotes kept; value parsers remove them)
 * @param bare     true when the line had no '=' at all (only {@code supervised} may be written so)
 */
record SourceLine(int number, boolean indented, String key, String value, boolean bare) {

    /** For messages: the directive as the operator wrote it. */
    String shown() {
        return bare ? key : key + "=" + value;
    }
}
