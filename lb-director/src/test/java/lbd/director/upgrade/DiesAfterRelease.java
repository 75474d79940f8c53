package lbd.director.upgrade;

import java.nio.file.Path;
import java.util.List;
import lbd.director.unix.SeqPacketSocket;

/**
 * A new "lbd" for {@code lbd upgrade} that takes over and dies at the worst moment: it says it serves, receives the
 * old process's release (the DR connections, the old DR workers held), and exits with status 1 before "ready".
 * The old process must forward DR packets again. Run by the test launcher ({@link UpgradeLab#writeLauncher}, with
 * this class in {@code HOME/main}) with lbd's own arguments.
 */
public final class DiesAfterRelease {

    private DiesAfterRelease() {
    }

    public static void main(String[] args) throws Exception {
        List<String> argv = List.of(args);
        Path from = Path.of(argv.get(argv.indexOf("--upgrade-from") + 1));
        TakeOver takeOver = TakeOver.connect(from);
        HandOver handOver = takeOver.receive();
        handOver.sockets().values().forEach(SeqPacketSocket::closeAll);
        takeOver.serving();
        byte[] flows = takeOver.released().drFlows();
        System.err.println("DiesAfterRelease: released with " + flows.length + " bytes of DR connections; exiting");
        System.exit(1);
    }
}
