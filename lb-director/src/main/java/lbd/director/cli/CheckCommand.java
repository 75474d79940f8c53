package lbd.director.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import lbd.config.CheckSummary;
import lbd.config.ConfigError;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.ConfigWarning;

/**
 * {@code lbd --check FILE}: exit 0 and a summary when valid, with a {@code FILE:LINE: warning: ...} line on stderr
 * for each directive accepted without effect; exit 1 with one FILE:LINE line per error when not valid.
 */
final class CheckCommand {

    private CheckCommand() {
    }

    static int run(Path file, PrintWriter out, PrintWriter err) {
        ConfigResult result = ConfigLoader.load(file);
        return switch (result) {
            case ConfigResult.Loaded loaded -> {
                for (ConfigWarning w : loaded.warnings()) {
                    err.println(w);
                }
                err.flush();
                out.print(CheckSummary.format(loaded.config()));
                out.println(file + ": configuration OK");
                out.flush();
                yield 0;
            }
            case ConfigResult.Invalid invalid -> {
                for (ConfigError e : invalid.errors()) {
                    err.println(e);
                }
                err.println(file + ": " + invalid.errors().size() + (invalid.errors().size() == 1 ? " error" : " errors")
                        + "; nothing was started");
                err.flush();
                yield 1;
            }
        };
    }
}
