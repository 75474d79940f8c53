package lbd.director.cli;

import java.nio.file.Path;
import lbd.config.model.Transport;

/**
 * Command-line overrides of the configuration's directives; null = take the configuration's value.
 *
 * @param socket {@code --socket PATH}: the control socket (else controlsocket=, else /run/lbd/lbd.sock)
 */
public record RunOptions(Transport transport, Integer eventLoops, Path socket) {

    public RunOptions(Transport transport, Integer eventLoops) {
        this(transport, eventLoops, null);
    }
}
