package lbd.config;

/**
 * Why a directive lbd accepts changes nothing in lbd: the tail of its {@code --check} warning,
 * {@code FILE:LINE: warning: fork has no effect in lbd because ...}. One sentence per directive, written for the
 * operator who set it expecting ldirectord's behaviour.
 */
final class NoEffect {

    private NoEffect() {
    }

    /** For a directive lbd accepts without effect ({@link Directive.Support#ACCEPTED}). */
    static String because(Directive d) {
        return switch (d) {
            case FORK -> "lbd checks every real server concurrently, each on its own checkinterval, without"
                    + " forking (as ldirectord does with fork=yes)";
            case READDQUIESCENT -> "lbd keeps a failed real server in its own table (at weight 0, or out with"
                    + " quiescent=no) and has no kernel table from which it could have been removed behind its back";
            case OPS -> "IPVS applies one-packet scheduling to UDP services only, and this one is TCP";
            case LOAD -> "ldirectord's parser only stores it (an undocumented \"string for load testing\") and"
                    + " nothing in ldirectord reads it";
            default -> "lbd reads it but does not use it";
        };
    }

    /** cleanstop= in a virtual block: lbd saves the DR connections of every service on a stop, or of none. */
    static final String CLEANSTOP_IN_BLOCK = "lbd keeps the direct-routing connections of every service across a"
            + " restart, or of none: set cleanstop=no globally";
}
