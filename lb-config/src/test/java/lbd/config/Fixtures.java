package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lbd.config.model.ClusterConfig;

/** Shared helpers: a DNS-free resolver, resources, and result unwrapping with readable failures. */
final class Fixtures {

    /** Knows a few names, nothing else: tests never depend on DNS. */
    static final NameResolver RESOLVER = (name, ipv6) -> Optional.ofNullable(
            (ipv6 ? Map.of("localhost", "::1", "web6.test", "2001:db8::10")
                  : Map.of("localhost", "127.0.0.1", "web1.test", "192.0.2.11", "web2.test", "192.0.2.12"))
                    .get(name)).map(InetAddress::ofLiteral);

    private Fixtures() {
    }

    static String resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
            assertThat(in).as("test resource %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ConfigResult parse(String text) {
        return ConfigLoader.parse("test.cf", text, RESOLVER);
    }

    static ClusterConfig loaded(String text) {
        ConfigResult r = parse(text);
        assertThat(r).as("expected the configuration to load, got %s", r).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) r).config();
    }

    static List<ConfigError> errors(String text) {
        ConfigResult r = parse(text);
        assertThat(r).as("expected the configuration to be rejected, got %s", r).isInstanceOf(ConfigResult.Invalid.class);
        return ((ConfigResult.Invalid) r).errors();
    }

    /** The warnings of a configuration that loads, each as FILE:LINE: warning: message. */
    static List<String> warnings(String text) {
        ConfigResult r = parse(text);
        assertThat(r).as("expected the configuration to load, got %s", r).isInstanceOf(ConfigResult.Loaded.class);
        return ((ConfigResult.Loaded) r).warnings().stream().map(ConfigWarning::toString).toList();
    }

    /** The only error of {@code text}, as FILE:LINE: message. */
    static String onlyError(String text) {
        List<ConfigError> errors = errors(text);
        assertThat(errors).as("errors").hasSize(1);
        return errors.getFirst().toString();
    }
}
