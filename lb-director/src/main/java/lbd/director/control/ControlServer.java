package lbd.director.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import lbd.director.core.DirectorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's end of the control socket: a UNIX socket (mode 0600 in a 0700 directory, so only its owner —
 * root — may talk to it; never a TCP port). One acceptor thread; each connection is served on its own virtual
 * thread: read one request line (see {@link ControlRequest} for the protocol), write the reply, close.
 * A client that sends nothing, too much or garbage gets an error reply or is cut off after
 * {@link #CLIENT_TIMEOUT} (for sending its request, and again for reading the reply; the request itself takes what
 * it takes); the daemon keeps running either way.
 */
public final class ControlServer implements AutoCloseable {

    public static final Path DEFAULT_PATH = Path.of("/run/lbd/lbd.sock");
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Connections the kernel queues before the acceptor takes them. The JDK's default (50) refused a burst of
     * parallel lbadm calls: a non-blocking connect to a full UNIX listen queue fails at once with EAGAIN. A backlog
     * only caps the queue (it reserves no memory), so it is the kernel's usual maximum; Linux lowers it to
     * net.core.somaxconn if that is smaller.
     */
    static final int BACKLOG = 4096;

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final Path path;
    // The socket file as bound: on close only that file is removed, not one a newer lbd bound there since
    // (lbd upgrade: the new process binds the path once this one has closed its socket).
    private final Object fileKey;
    private final ServerSocketChannel server;
    private final ControlService service;
    private final Thread acceptor;
    // Closes the channel of a client that stalls: blocking UNIX channels have no read timeout of their own.
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lbd-control-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel server, ControlService service) {
        this.path = path;
        this.fileKey = fileKey(path);
        this.server = server;
        this.service = service;
        this.acceptor = Thread.ofPlatform().name("lbd-control-socket").daemon().unstarted(this::acceptLoop);
    }

    /**
     * Binds {@code path} and starts serving. Refuses (with a {@link DirectorException} saying so) when another lbd
     * answers on it; a stale socket file left by a crash is replaced.
     */
    public static ControlServer start(Path path, ControlService service) {
        Path socket = path.toAbsolutePath();
        try {
            prepareDirectory(socket.getParent());
            removeStale(socket);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            // Bound inside a new owner-only directory, made 0600 there, then moved into place: at no moment can
            // another user reach it, whatever the umask and the directory the path is in.
            Path staging = Files.createTempDirectory(socket.getParent(), ".lbd-socket-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path bound = staging.resolve("s");
            try {
                server.bind(UnixDomainSocketAddress.of(bound), BACKLOG);
                Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
                Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                server.close();
                Files.deleteIfExists(bound);
                throw e;
            } finally {
                Files.deleteIfExists(staging);
            }
            ControlServer s = new ControlServer(socket, server, service);
            s.acceptor.start();
            log.info("control socket listening on {}", socket);
            return s;
        } catch (IOException e) {
            throw new DirectorException("cannot open the control socket " + socket + ": " + e.getMessage()
                    + " (give another path with --socket or controlsocket=)", e);
        }
    }

    public Path path() {
        return path;
    }

    /** The file's identity (device and inode), or null when there is none. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static void prepareDirectory(Path dir) throws IOException {
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    private static void removeStale(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new DirectorException("another lbd is already running on the control socket " + socket
                    + " (stop it, or give this one another path with --socket)");
        } catch (IOException nobodyListening) {
            Files.deleteIfExists(socket);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.warn("control socket: accept failed: {}", e.getMessage());
                continue;
            }
            Thread.ofVirtual().name("lbd-control-client").start(() -> serve(client));
        }
    }

    private void serve(SocketChannel client) {
        ScheduledFuture<?> cutOff = cutOffLater(client);
        ControlReply sent = null;
        try (client) {
            ControlReply reply;
            String line = readLine(client);
            // The bound is on the client (sending its line, reading the reply), not on the work: an upgrade waits
            // for a whole new lbd to start, longer than CLIENT_TIMEOUT on a loaded machine.
            if (cutOff != null) {
                cutOff.cancel(false);
            }
            reply = line == null
                    ? ControlReply.error("request longer than " + ControlRequest.MAX_LINE + " bytes or not ended by a newline")
                    : service.handle(line);
            cutOff = cutOffLater(client);
            if (line == null) {
                log.warn("control socket: rejected a request: {}", reply.message());
            }
            sent = reply;
            ByteBuffer out = ByteBuffer.wrap(reply.toWire().getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                client.write(out);
            }
            if (line == null) {
                // Read what the client still sends (up to the watchdog) so that closing does not reset the
                // connection before the client has read the reply.
                client.shutdownOutput();
                ByteBuffer sink = ByteBuffer.allocate(4096);
                while (client.read(sink.clear()) >= 0) {
                    // discard
                }
            }
        } catch (IOException e) {
            log.debug("control socket: client went away: {}", e.getMessage());
        } finally {
            if (cutOff != null) {
                cutOff.cancel(false);
            }
        }
        if (sent != null) {
            sent.afterSent().run(); // written (or the client gone): what was to follow the answer follows it
        }
    }

    /**
     * Closes {@code client} after CLIENT_TIMEOUT unless cancelled; none once this server is closed (an upgrade's
     * reply, written after its request closed the server, is then written without one).
     */
    private ScheduledFuture<?> cutOffLater(SocketChannel client) {
        try {
            return watchdog.schedule(() -> closeQuietly(client), CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            return null;
        }
    }

    /** The first line, or null when the client sent more than MAX_LINE bytes or closed before a newline. */
    private static String readLine(SocketChannel client) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        ByteBuffer buf = ByteBuffer.allocate(512);
        while (line.size() <= ControlRequest.MAX_LINE) {
            buf.clear();
            int n = client.read(buf);
            if (n < 0) {
                return null;
            }
            for (int i = 0; i < n; i++) {
                byte b = buf.get(i);
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
            }
        }
        return null;
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        watchdog.shutdownNow();
        try {
            acceptor.join(2000);
            if (fileKey != null && fileKey.equals(fileKey(path))) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.warn("could not remove the control socket {}: {}", path, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
