package lbd.director.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * heartbeat's authkeys: {@code auth N} picks the key that signs outgoing heartbeats; every {@code N method secret}
 * line is a key incoming heartbeats may be signed with (so keys can be rolled one node at a time).
 *
 * <p>The file must not be readable by group or others (mode 600), as heartbeat insists. The heartbeat package's
 * sample file, uncommented as the field guide says, selects {@code auth 1} = crc, which authenticates nothing: lbd
 * then signs with the strongest keyed method in the same file and says so, so that file works as written on both
 * nodes while every heartbeat still carries an HMAC.
 *
 * @param sendKey the key outgoing heartbeats are signed with
 * @param keys    every keyed (HMAC) key by id; crc lines are not here
 */
public record AuthKeys(AuthKey sendKey, Map<Integer, AuthKey> keys) {

    public AuthKeys {
        keys = Map.copyOf(keys);
    }

    public Optional<AuthKey> key(int id) {
        return Optional.ofNullable(keys.get(id));
    }

    /** Reads and checks {@code file}, including its permissions. */
    /**
     * A keyed MAC per key id, initialised with its secret: the heartbeat and the sync codecs each hold their own,
     * since a {@link Mac} is not safe to share between threads.
     */
    public Map<Integer, Mac> newMacs() {
        Map<Integer, Mac> macs = new java.util.HashMap<>();
        for (AuthKey k : keys.values()) {
            try {
                Mac mac = Mac.getInstance(k.method().jcaName());
                mac.init(new SecretKeySpec(k.secret(), k.method().jcaName()));
                macs.put(k.id(), mac);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK cannot compute " + k.method().jcaName(), e);
            }
        }
        return macs;
    }

    public static AuthKeys load(Path file, List<String> warnings) {
        try {
            if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                for (PosixFilePermission p : perms) {
                    if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                        throw new HaConfigException(file + ": readable or writable by others (mode "
                                + PosixFilePermissions.toString(perms) + "); the keys must stay secret: chmod 600 " + file);
                    }
                }
            }
            return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8), warnings);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new HaConfigException(file + ": missing; create it with 'auth 1' and '1 sha1 SECRET' (the same on both nodes), then chmod 600 " + file);
        } catch (IOException e) {
            throw new HaConfigException(file + ": cannot be read: " + e.getMessage());
        }
    }

    /** Parses authkeys text (no permission check). */
    public static AuthKeys parse(String file, String text, List<String> warnings) {
        List<String> errors = new ArrayList<>();
        Integer authId = null;
        int authLine = 0;
        Map<Integer, AuthMethod> methods = new LinkedHashMap<>();
        Map<Integer, AuthKey> keys = new LinkedHashMap<>();
        for (HeartbeatLines.Line line : HeartbeatLines.of(file, text)) {
            String where = line.where();
            String[] w = line.content().split("\\s+", 3);
            if (w[0].equalsIgnoreCase("auth")) {
                if (authId != null) {
                    errors.add(where + "a second auth line; keep exactly one (auth N picks the key that signs)");
                    continue;
                }
                if (w.length != 2 || id(w[1]) < 0) {
                    errors.add(where + "auth takes one key number 1-15, e.g. auth 1");
                    continue;
                }
                authId = id(w[1]);
                authLine = line.number();
                continue;
            }
            int id = id(w[0]);
            if (id < 0) {
                errors.add(where + "expected 'auth N' or 'N METHOD SECRET' with N from 1 to 15, found '" + w[0] + "'");
                continue;
            }
            if (methods.containsKey(id)) {
                errors.add(where + "key " + id + " is defined twice");
                continue;
            }
            if (w.length < 2) {
                errors.add(where + "key " + id + " has no method; write " + id + " sha1 SECRET (or md5, sha256)");
                continue;
            }
            Optional<AuthMethod> method = AuthMethod.byName(w[1]);
            if (method.isEmpty()) {
                errors.add(where + "unknown method '" + w[1] + "'; use sha1, md5 or lbd's sha256");
                continue;
            }
            methods.put(id, method.get());
            if (method.get().keyed()) {
                if (w.length < 3 || w[2].isBlank()) {
                    errors.add(where + method.get().configName() + " needs a secret: " + id + " " + method.get().configName() + " SECRET");
                    continue;
                }
                keys.put(id, new AuthKey(id, method.get(), w[2].strip().getBytes(StandardCharsets.UTF_8)));
            }
        }
        if (authId == null && errors.isEmpty()) {
            errors.add(file + ": no auth line; the file needs 'auth N' naming the key that signs, e.g. auth 1");
        } else if (authId != null && !methods.containsKey(authId)) {
            errors.add(file + ":" + authLine + ": auth " + authId + " names a key that is not defined; add a line '" + authId + " sha1 SECRET'");
        }
        if (!errors.isEmpty()) {
            throw new HaConfigException(errors);
        }
        AuthKey send = keys.get(authId);
        if (send == null) {
            send = keys.values().stream()
                    .max(Comparator.comparingInt((AuthKey k) -> k.method().strength()).thenComparingInt(k -> -k.id()))
                    .orElseThrow(() -> new HaConfigException(file + ": auth selects crc, which authenticates nothing,"
                            + " and there is no sha1/md5/sha256 key to sign with; add '2 sha1 SECRET' and write auth 2"));
            warnings.add(file + ":" + authLine + ": auth " + authId + " is crc, which authenticates nothing; lbd signs with key "
                    + send.id() + " (" + send.method().configName() + ") from the same file instead");
        }
        return new AuthKeys(send, keys);
    }

    private static int id(String s) {
        try {
            int n = Integer.parseInt(s);
            return n >= 1 && n <= 15 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
