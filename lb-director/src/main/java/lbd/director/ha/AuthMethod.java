package lbd.director.ha;

import java.util.Locale;
import java.util.Optional;

/**
 * Signature methods of an authkeys line. heartbeat's md5 and sha1 are keyed HMACs; sha256 is lbd's own stronger
 * one (HMAC-SHA256). crc only detects corruption: lbd reads it but never accepts or sends a message under it.
 */
public enum AuthMethod {
    CRC("crc", null, 0),
    MD5("md5", "HmacMD5", 1),
    SHA1("sha1", "HmacSHA1", 2),
    SHA256("sha256", "HmacSHA256", 3);

    private final String configName;
    private final String jcaName;
    private final int strength;

    AuthMethod(String configName, String jcaName, int strength) {
        this.configName = configName;
        this.jcaName = jcaName;
        this.strength = strength;
    }

    public static Optional<AuthMethod> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (AuthMethod m : values()) {
            if (m.configName.equals(n)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    public String configName() {
        return configName;
    }

    /** The JCA Mac algorithm; null for crc. */
    String jcaName() {
        return jcaName;
    }

    /** True when the method authenticates (needs a secret). */
    public boolean keyed() {
        return jcaName != null;
    }

    /** Orders keyed methods from weakest to strongest. */
    int strength() {
        return strength;
    }
}
