package lbd.director.cli;

import java.nio.file.Path;
import lbd.config.model.Transport;

/**
 * Command-line overrides of the configuration's directives; null = take the configuration's value.
 *
 * @param socket {@code --socket PATH}: the control socket (else controlsocket=, else /run/lbd/lbd.sock)
 * @param debug  {@code -d}/{@code --debug}, as ldirectord's: log at debug level on stderr, whatever logfile= and
 *               loglevel= say (logformat= still applies)
 * @param warmUp {@code --warmup=yes|no}: the self warm-up before READY=1 (else warmup=, else yes)
 */
public record RunOptions(Transport transport, Integer eventLoops, Path socket, boolean debug, Boolean warmUp) {

    public RunOptions(Transport transport, Integer eventLoops) {
        this(transport, eventLoops, null, false);
    }

    public RunOptions(Transport transport, Integer eventLoops, Path socket) {
        this(transport, eventLoops, socket, false);
    }

    public RunOptions(Transport transport, Integer eventLoops, Path socket, boolean debug) {
        this(transport, eventLoops, socket, debug, null);
    }
}
