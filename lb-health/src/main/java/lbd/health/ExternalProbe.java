package lbd.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import lbd.config.model.Endpoint;

/**
 * checktype=external (and external-perl, whose scripts must also work as external ones): run
 * {@code checkcommand} with ldirectord's four arguments — virtual IP (or firewall mark), virtual port, real IP,
 * real port — exit 0 means up; killed at checktimeout. Its output goes to the debug log on every run and into
 * the reason of a failure, so a transition line shows what the script said.
 */
public final class ExternalProbe implements Probe {

    private static final Logger LOG = LoggerFactory.getLogger(ExternalProbe.class);
    private static final String DEFAULT_COMMAND = "/bin/true";

    private final List<String> argv;
    private final Duration timeout;

    public ExternalProbe(CheckSpec spec) {
        String command = spec.check().checkCommand().filter(c -> !c.isBlank()).orElse(DEFAULT_COMMAND);
        Endpoint virtual = spec.server().service().address();
        Endpoint real = spec.server().address();
        List<String> args = new ArrayList<>(Arrays.asList(command.strip().split("\\s+")));
        args.add(virtual.hostAddress());
        args.add(Integer.toString(virtual.port()));
        args.add(real.hostAddress());
        args.add(Integer.toString(real.port()));
        this.argv = List.copyOf(args);
        this.timeout = spec.check().checkTimeout();
    }

    List<String> argv() {
        return argv;
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        CommandRunner.Outcome outcome = CommandRunner.run(argv, timeout);
        if (LOG.isDebugEnabled() && !outcome.output().isBlank()) {
            LOG.debug("{}: {}", String.join(" ", argv), outcome.output().strip());
        }
        String what = "external: " + outcome.describe(timeout);
        return outcome.succeeded() ? ProbeResult.up(what) : ProbeResult.down(what);
    }
}
