package lbd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import lbd.config.model.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigHashTest {

    @Test
    void aLoadedFileCarriesTheSha256OfItsBytesAsSha256sumPrintsIt(@TempDir Path dir) throws Exception {
        // Latin-1 (not UTF-8): the hash is of the bytes on disk, not of the text they were decoded to.
        byte[] bytes = "# caf\u00e9\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n".getBytes(StandardCharsets.ISO_8859_1);
        Path file = dir.resolve("ldirectord.cf");
        Files.write(file, bytes);

        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file, Fixtures.RESOLVER)).config();

        assertThat(config.sha256())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))
                .hasSize(64);
    }

    @Test
    void anEmbeddedConfigurationHashesItsText() throws Exception {
        String text = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n";
        assertThat(Fixtures.loaded(text).sha256()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))));
    }
}
