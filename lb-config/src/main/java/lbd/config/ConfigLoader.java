package lbd.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.ClusterConfig;
import lbd.config.model.GlobalSettings;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;

/**
 * Reads an ldirectord.cf as written in the field into a {@link ClusterConfig}, or reports every error in
 * it, each as {@code FILE:LINE: message}. Host names are resolved here, once; nothing here is on a hot path.
 *
 * <p>Stages: {@link LineReader} (lexing) → {@link BlockAssembler} (scopes) → {@link GlobalBuilder} and
 * {@link ServiceBuilder} (values, defaults, what lbd supports) → cross-service checks (below).
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Loads a file; a missing or unreadable file is an {@link ConfigResult.Invalid} with one clear error. */
    public static ConfigResult load(Path file) {
        return load(file, NameResolver.SYSTEM);
    }

    public static ConfigResult load(Path file, NameResolver resolver) {
        String source = file.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return unreadable(source, "no such file; give the path of an ldirectord.cf");
        } catch (AccessDeniedException e) {
            return unreadable(source, "permission denied; run as a user that may read it");
        } catch (IOException e) {
            String why = Files.isDirectory(file) ? "is a directory; give the path of an ldirectord.cf"
                    : "cannot be read: " + e.getMessage();
            return unreadable(source, why);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // Old files may be Latin-1; every directive is ASCII, so reading them so loses nothing that matters.
            text = new String(bytes, StandardCharsets.ISO_8859_1);
        }
        return parse(source, text, Optional.of(file), sha256(bytes), resolver);
    }

    /** The SHA-256 of the file's bytes, in hex: what sha256sum prints, so an operator can compare. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Parses an embedded configuration (the demo, tests); {@code sourceName} is used in messages. */
    public static ConfigResult parse(String sourceName, String text) {
        return parse(sourceName, text, NameResolver.SYSTEM);
    }

    public static ConfigResult parse(String sourceName, String text, NameResolver resolver) {
        return parse(sourceName, text, Optional.empty(), sha256(text.getBytes(StandardCharsets.UTF_8)), resolver);
    }

    private static ConfigResult parse(String source, String text, Optional<Path> file, String sha256,
                                      NameResolver resolver) {
        Problems problems = new Problems(source);
        ValueReader reader = new ValueReader(problems, resolver);
        BlockAssembler.Layout layout = BlockAssembler.assemble(LineReader.read(text, problems), problems);

        reader.rejectNotYet(layout.globals());
        reader.warnNoEffect(layout.globals());
        GlobalSettings globals = GlobalBuilder.build(layout.globals(), reader);
        ServiceDefaults defaults = ServiceDefaults.read(layout.globals(), reader);

        List<VirtualService> services = new ArrayList<>();
        Map<VirtualServiceKey, Integer> firstLine = new HashMap<>();
        for (Block block : layout.virtuals()) {
            reader.warnNoEffect(block);
            Optional<VirtualService> built = ServiceBuilder.build(block, defaults, globals.maintenanceDir().isPresent(),
                    reader);
            if (built.isEmpty()) {
                continue;
            }
            VirtualService vs = built.get();
            Integer first = firstLine.putIfAbsent(vs.key(), vs.line());
            if (first != null) {
                problems.add(vs.line(), block.start.key() + ": duplicate virtual service " + vs.key()
                        + "; it is already defined on line " + first + "; merge the two blocks");
                continue;
            }
            boolean taken = false;
            for (VirtualServiceKey also : vs.alsoListen()) {
                Integer other = firstLine.putIfAbsent(also, vs.line());
                if (other != null) {
                    problems.add(vs.line(), block.start.key() + ": alsolisten= names " + also + ", which the"
                            + " virtual service on line " + other + " already takes; give each VIP:port to one service");
                    taken = true;
                }
            }
            if (!taken) {
                services.add(vs);
            }
        }
        DirectivesNeedingAnother.warnGlobal(layout.globals(),
                services.stream().anyMatch(vs -> vs.reporting().emailAlert().isPresent()),
                globals.xdp() && services.stream().noneMatch(vs -> vs.forwarding().directRouted()), problems);
        if (!problems.isEmpty()) {
            return new ConfigResult.Invalid(problems.sorted());
        }
        return new ConfigResult.Loaded(new ClusterConfig(file, globals, services, sha256), problems.warnings());
    }

    private static ConfigResult unreadable(String source, String why) {
        return new ConfigResult.Invalid(List.of(new ConfigError(source, 0, why)));
    }
}
