package lbd.director.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything HA needs, read for one node of the pair from a configuration directory: heartbeat's ha.cf, authkeys
 * and haresources (/etc/ha.d as the field guide lays it out), or lbd's own single {@code lbd-ha.cf} when present.
 *
 * @param self      this node's name (uname -n, or --ha-node)
 * @param peer      the other node's name
 * @param cf        ha.cf
 * @param keys      authkeys
 * @param resources haresources
 * @param warnings  accepted-but-notable things to log once at start
 */
public record HaConfig(String self, String peer, HaCf cf, AuthKeys keys, HaResources resources, List<String> warnings) {

    public HaConfig {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(peer, "peer");
        warnings = List.copyOf(warnings);
    }

    /** True when this node is the preferred one of haresources. */
    public boolean preferred() {
        return resources.preferredNode().equals(self);
    }

    /**
     * Loads {@code dir}/ha.cf, authkeys and haresources for node {@code self}. Every problem found is reported
     * at once in one {@link HaConfigException}.
     */
    public static HaConfig load(Path dir, String self) {
        List<String> warnings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            throw new HaConfigException(dir + ": not a directory; --ha takes the directory holding ha.cf, authkeys and haresources"
                    + " (e.g. /etc/ha.d), or lbd's own lbd-ha.cf");
        }
        HaCf cf = null;
        AuthKeys keys = null;
        HaResources resources = null;
        Path own = dir.resolve(LbdHaFile.NAME);
        Path cfFile = dir.resolve("ha.cf");
        Path resourcesFile = dir.resolve("haresources");
        if (Files.exists(own)) {
            // lbd's own single file wins; heartbeat's files beside it are not read
            cfFile = own;
            resourcesFile = own;
            LbdHaFile.Parts parts = LbdHaFile.read(own, dir, warnings);
            cf = parts.cf();
            keys = parts.keys();
            resources = parts.resources();
            if (Files.exists(dir.resolve("ha.cf"))) {
                warnings.add(own + ": used instead of ha.cf, authkeys and haresources in the same directory");
            }
        } else {
            try {
                cf = HaCfParser.parse(cfFile.toString(), read(cfFile), warnings);
            } catch (HaConfigException e) {
                errors.addAll(e.problems());
            }
            try {
                keys = AuthKeys.load(dir.resolve("authkeys"), warnings);
            } catch (HaConfigException e) {
                errors.addAll(e.problems());
            }
            try {
                resources = HaResources.parse(resourcesFile.toString(), read(resourcesFile), dir);
            } catch (HaConfigException e) {
                errors.addAll(e.problems());
            }
        }
        String peer = null;
        if (cf != null) {
            if (!cf.nodes().contains(self)) {
                errors.add(cfFile + ": this node, " + self + ", is not among the node lines ("
                        + String.join(", ", cf.nodes()) + "); node names must match uname -n, or start lbd with --ha-node NAME");
            } else {
                peer = cf.nodes().stream().filter(n -> !n.equals(self)).findFirst().orElseThrow();
            }
            if (resources != null && !cf.nodes().contains(resources.preferredNode())) {
                errors.add(resourcesFile + ": preferred node " + resources.preferredNode()
                        + " is not among the node lines (" + String.join(", ", cf.nodes()) + ")");
            }
        }
        if (!errors.isEmpty()) {
            throw new HaConfigException(errors);
        }
        return new HaConfig(self, peer, cf, keys, resources, warnings);
    }

    private static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new HaConfigException(f + ": missing; the HA directory needs ha.cf, authkeys and haresources (see High availability in README.md)");
        } catch (IOException e) {
            throw new HaConfigException(f + ": cannot be read: " + e.getMessage());
        }
    }
}
