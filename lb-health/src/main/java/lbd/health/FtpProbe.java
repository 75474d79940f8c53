package lbd.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPReply;

/**
 * service=ftp with checktype=negotiate, as ldirectord's check_ftp (Perl's Net::FTP): log in with {@code login=}
 * and {@code passwd=} (anonymous, password {@code ldirectord@HOSTNAME}, when login= is absent), {@code CWD /},
 * binary, passive, {@code RETR request} ({@code request="welcome.msg"} fetches {@code /welcome.msg}), QUIT; up when
 * the file's content contains a match of {@code receive}; all within negotiatetimeout. Without receive a
 * successful RETR passes, and without request a successful login does. No FTPS, as in ldirectord.
 */
public final class FtpProbe implements Probe {

    /** Files are read up to this much; receive must match within it. */
    static final int MAX_FILE = HttpProbe.MAX_RESPONSE;

    private final InetSocketAddress target;
    private final String login;
    private final String passwd;
    private final Optional<String> path;
    private final ReceivePattern receive;
    private final Duration connectTimeout;
    private final Duration timeout;

    public FtpProbe(CheckSpec spec) {
        this.target = spec.target().toSocketAddress();
        this.login = spec.check().credentials().login().orElse("anonymous");
        this.passwd = spec.check().credentials().passwd().orElseGet(() -> "ldirectord@" + HostName.LOCAL);
        this.path = spec.request().filter(r -> !r.isEmpty()).map(r -> r.startsWith("/") ? r : "/" + r);
        this.receive = ReceivePattern.of(spec.receive());
        this.connectTimeout = spec.check().connectTimeout();
        this.timeout = spec.check().negotiateTimeout();
    }

    @Override
    public ProbeResult check() throws InterruptedException {
        if (receive.invalidReason() != null) {
            return ProbeResult.down(receive.invalidReason());
        }
        if (path.isEmpty() && receive.isSet()) {
            return ProbeResult.down("negotiate: ftp: receive is set but there is no file to fetch; add"
                    + " request=\"FILE\" to the configuration");
        }
        Deadline deadline = Deadline.after(timeout);
        FTPClient ftp = new FTPClient();
        try {
            NetClientSteps.connect(ftp, target, deadline, connectTimeout);
            if (!FTPReply.isPositiveCompletion(ftp.getReplyCode())) {
                return ProbeResult.down("negotiate: ftp greeting refused: " + NetClientSteps.reply(ftp.getReplyString()));
            }
            NetClientSteps.nextStep(ftp, deadline);
            if (!ftp.login(login, passwd)) {
                return ProbeResult.down("negotiate: ftp login as " + login + " refused: "
                        + NetClientSteps.reply(ftp.getReplyString()));
            }
            if (path.isEmpty()) {
                NetClientSteps.nextStep(ftp, deadline);
                ftp.logout();
                return ProbeResult.up("negotiate: ftp logged in as " + login);
            }
            NetClientSteps.nextStep(ftp, deadline);
            ftp.changeWorkingDirectory("/"); // as ldirectord; a refusal changes nothing: RETR names an absolute path
            NetClientSteps.nextStep(ftp, deadline);
            ftp.setFileType(FTP.BINARY_FILE_TYPE);
            ftp.enterLocalPassiveMode();
            ftp.setDataTimeout(Duration.ofMillis(deadline.remainingMillis()));
            ftp.setConnectTimeout(deadline.remainingMillis(connectTimeout)); // the data connection's
            byte[] content = retrieve(ftp, deadline);
            if (content == null) {
                return ProbeResult.down("negotiate: ftp RETR " + path.get() + " refused: "
                        + NetClientSteps.reply(ftp.getReplyString()));
            }
            NetClientSteps.nextStep(ftp, deadline);
            ftp.logout();
            if (receive.isSet() && !receive.foundIn(new String(content, StandardCharsets.UTF_8))) {
                return ProbeResult.down("negotiate: ftp receive \"" + receive.text() + "\" not matched in "
                        + path.get() + " (" + Texts.size(content.length) + ")");
            }
            return ProbeResult.up("negotiate: ftp RETR " + path.get() + " (" + Texts.size(content.length) + ")");
        } catch (IOException e) {
            return NetClientSteps.failed("ftp", e, timeout);
        } finally {
            NetClientSteps.close(ftp);
        }
    }

    /** The file's first {@link #MAX_FILE} bytes, or null when the server refused the transfer. */
    private byte[] retrieve(FTPClient ftp, Deadline deadline) throws IOException {
        NetClientSteps.nextStep(ftp, deadline);
        InputStream in = ftp.retrieveFileStream(path.get());
        if (in == null) {
            return null;
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        boolean whole;
        try (in) {
            byte[] chunk = new byte[8192];
            int n;
            while (content.size() < MAX_FILE && (n = in.read(chunk, 0, Math.min(chunk.length, MAX_FILE - content.size()))) > 0) {
                content.write(chunk, 0, n);
            }
            whole = content.size() < MAX_FILE;
        }
        NetClientSteps.nextStep(ftp, deadline);
        // The end-of-transfer reply; after a cut-short read the server may report the aborted transfer instead.
        if (!ftp.completePendingCommand() && whole) {
            return null;
        }
        return content.toByteArray();
    }

    /** The host's name as ldirectord takes it for the anonymous password: $HOSTNAME, else the kernel's. */
    static final class HostName {
        static final String LOCAL = local();

        private HostName() {
        }

        private static String local() {
            String env = System.getenv("HOSTNAME");
            if (env != null && !env.isBlank()) {
                return env.strip();
            }
            try {
                return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException | RuntimeException e) {
                return "localhost";
            }
        }
    }
}
