package lbd.director.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * lbd's own HA configuration: one file, {@code lbd-ha.cf}, instead of heartbeat's three. ha.cf's directives keep
 * their names and meaning (written {@code key = value} or {@code key value}); haresources becomes
 * {@code preferred = NODE} and one {@code vip = VIP[/PREFIX[/IF]]} per address; authkeys becomes
 * {@code authkey = METHOD SECRET} (the file must then be mode 600) or {@code authkeys = PATH}. The values are
 * checked by the same parsers as heartbeat's files, so both spellings mean exactly the same.
 */
final class LbdHaFile {

    static final String NAME = "lbd-ha.cf";

    private static final Set<String> HA_CF = Set.of("keepalive", "deadtime", "warntime", "initdead", "udpport", "bcast",
            "ucast", "mcast", "auto_failback", "node");

    /** The three parts, read from one file. */
    record Parts(HaCf cf, AuthKeys keys, HaResources resources) {
    }

    private LbdHaFile() {
    }

    static Parts read(Path file, Path dir, List<String> warnings) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HaConfigException(file + ": cannot be read: " + e.getMessage());
        }
        List<String> errors = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        StringBuilder haCf = new StringBuilder();
        String preferred = null;
        List<VipResource> vips = new ArrayList<>();
        AuthKeys keys = null;
        boolean secretInFile = false;
        for (int i = 0; i < lines.length; i++) {
            String where = file + ":" + (i + 1) + ": ";
            String content = HeartbeatLines.withoutComment(lines[i]).strip();
            String key = "";
            String value = "";
            if (!content.isEmpty()) {
                String[] kv = content.split("\\s*=\\s*|\\s+", 2);
                key = kv[0].toLowerCase(Locale.ROOT);
                value = kv.length > 1 ? kv[1].strip() : "";
            }
            if (HA_CF.contains(key)) {
                haCf.append(key).append(' ').append(value);
            } else if (!content.isEmpty()) {
                try {
                    switch (key) {
                        case "preferred" -> preferred = value;
                        case "vip" -> vips.addAll(HaResources.parse(file.toString(),
                                "\n".repeat(i) + "node IPaddr::" + value, dir).vips());
                        case "authkey" -> {
                            keys = AuthKeys.parse(file.toString(), "\n".repeat(i) + "1 " + value + "\nauth 1", warnings);
                            secretInFile = true;
                        }
                        case "authkeys" -> keys = AuthKeys.load(dir.resolve(value), warnings);
                        default -> errors.add(where + "unknown directive '" + key + "'; lbd-ha.cf takes ha.cf's directives"
                                + " and preferred, vip, authkey, authkeys (see High availability in README.md)");
                    }
                } catch (HaConfigException e) {
                    errors.addAll(e.problems());
                }
            }
            haCf.append('\n');
        }
        HaCf cf = null;
        try {
            cf = HaCfParser.parse(file.toString(), haCf.toString(), warnings);
        } catch (HaConfigException e) {
            errors.addAll(e.problems());
        }
        if (preferred == null) {
            errors.add(file + ": no preferred node; write preferred = NODE (the node that normally serves)");
        }
        if (vips.isEmpty()) {
            errors.add(file + ": no vip; write vip = ADDRESS[/PREFIX[/INTERFACE]] for each service address");
        }
        if (keys == null) {
            errors.add(file + ": no key; write authkey = sha256 SECRET (the same on both nodes) or authkeys = /etc/ha.d/authkeys");
        }
        if (secretInFile) {
            checkPrivate(file, errors);
        }
        if (!errors.isEmpty()) {
            throw new HaConfigException(errors);
        }
        return new Parts(cf, keys, new HaResources(preferred, vips, Optional.empty()));
    }

    private static void checkPrivate(Path file, List<String> errors) {
        try {
            if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
                for (PosixFilePermission p : Files.getPosixFilePermissions(file)) {
                    if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
                        errors.add(file + ": holds the authkey but is readable or writable by others; chmod 600 " + file);
                        return;
                    }
                }
            }
        } catch (IOException e) {
            errors.add(file + ": cannot check its permissions: " + e.getMessage());
        }
    }
}
