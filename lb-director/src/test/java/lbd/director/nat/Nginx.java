package lbd.director.nat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian's nginx-light, installed by .ci/run) as a real server: one process, no master, no daemon,
 * everything under a test's directory. {@code servers} is the body of its http block after the log format
 * {@code client}, which logs {@code $proxy_protocol_addr $remote_addr $request_uri}.
 */
public final class Nginx implements AutoCloseable {

    public static final String BINARY = "/usr/sbin/nginx";

    private final Process process;
    public final Path accessLog;
    public final Path errorLog;

    private Nginx(Process process, Path dir) {
        this.process = process;
        this.accessLog = dir.resolve("access.log");
        this.errorLog = dir.resolve("error.log");
    }

    /** Skips the test on a machine without nginx (CI installs it: there it fails rather than skips). */
    public static void assumeInstalled() {
        assumeTrue(Files.isExecutable(Path.of(BINARY)), "nginx is not installed here (apt-get install nginx-light)");
    }

    /** Starts nginx in {@code dir} (optionally inside network namespace {@code netns}) and waits until it listens. */
    public static Nginx start(Path dir, String netns, String servers)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                master_process off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    log_format client '$proxy_protocol_addr $remote_addr $request_uri';
                    %2$s
                }
                """.formatted(dir, servers));
        List<String> command = netns == null ? List.of(BINARY, "-p", dir.toString(), "-c", conf.toString())
                : List.of("ip", "netns", "exec", netns, BINARY, "-p", dir.toString(), "-c", conf.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        Nginx nginx = new Nginx(process, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!listening(dir)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                nginx.close();
                throw new IOException("nginx did not start: " + Files.readString(dir.resolve("stdout.log"))
                        + (Files.exists(nginx.errorLog) ? Files.readString(nginx.errorLog) : ""));
            }
            Thread.sleep(20);
        }
        return nginx;
    }

    /** nginx writes its pid file once its listening sockets are open. */
    private static boolean listening(Path dir) throws IOException {
        Path pid = dir.resolve("nginx.pid");
        return Files.exists(pid) && Files.size(pid) > 0;
    }

    /** The access log's lines now. */
    public List<String> accessLines() throws IOException {
        return Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
