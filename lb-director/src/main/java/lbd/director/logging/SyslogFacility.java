package lbd.director.logging;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The syslog facility names {@code logfile=} accepts, as ldirectord (Sys::Syslog) did, with their codes. */
final class SyslogFacility {

    private static final Map<String, Integer> CODES = Map.ofEntries(
            Map.entry("kern", 0), Map.entry("user", 1), Map.entry("mail", 2), Map.entry("daemon", 3),
            Map.entry("auth", 4), Map.entry("syslog", 5), Map.entry("lpr", 6), Map.entry("news", 7),
            Map.entry("uucp", 8), Map.entry("cron", 9), Map.entry("authpriv", 10), Map.entry("ftp", 11),
            Map.entry("local0", 16), Map.entry("local1", 17), Map.entry("local2", 18), Map.entry("local3", 19),
            Map.entry("local4", 20), Map.entry("local5", 21), Map.entry("local6", 22), Map.entry("local7", 23));

    private SyslogFacility() {
    }

    /** The facility code of {@code name} (local0 = 16), or empty when {@code name} is not a facility (a path). */
    static Optional<Integer> code(String name) {
        return Optional.ofNullable(CODES.get(name.toLowerCase(Locale.ROOT)));
    }
}
