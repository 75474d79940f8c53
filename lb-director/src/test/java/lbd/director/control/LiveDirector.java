package lbd.director.control;

import static lbd.director.TestHttp.freePort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.TestHttp;
import lbd.director.core.Director;
import lbd.director.demo.DemoBackends;

/**
 * A real director on loopback for end-to-end tests: two built-in web servers ("VM2", "VM3") behind a masq VIP
 * on 127.0.0.1, with its control socket in a temporary directory. Closing stops everything.
 */
final class LiveDirector implements AutoCloseable {

    final DemoBackends backends;
    final int vipPort;
    final Path file;
    final Director director;
    final DirectorOps ops;

    private LiveDirector(DemoBackends backends, int vipPort, Path file, Director director, DirectorOps ops) {
        this.backends = backends;
        this.vipPort = vipPort;
        this.file = file;
        this.director = director;
        this.ops = ops;
    }

    static LiveDirector start(Path dir, boolean autoreload) throws IOException {
        return start(dir, autoreload, "");
    }

    /** As above, with {@code serviceLines} (each "\tdirective=value\n") added to the virtual service. */
    static LiveDirector start(Path dir, boolean autoreload, String serviceLines) throws IOException {
        DemoBackends backends = DemoBackends.start("VM2", "VM3");
        Director director = null;
        try {
            int vipPort = freePort();
            Path file = dir.resolve("ldirectord.cf");
            Files.writeString(file, config(backends, vipPort, "rr", 1, true, autoreload) + serviceLines);
            ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
            director = Director.start(config, Transport.NIO, 1);
            ConfigReloader reloader = new ConfigReloader(file, ConfigLoader::load, director::reload);
            DirectorOps ops = DirectorOps.start(director, reloader, dir.resolve("lbd.sock"), Optional.empty(),
                    "lbd version test");
            return new LiveDirector(backends, vipPort, file, director, ops);
        } catch (IOException | RuntimeException e) {
            if (director != null) {
                director.close();
            }
            backends.close();
            throw e;
        }
    }

    /** An ldirectord.cf for the two backends; {@code withVm3} false leaves VM3 out. */
    static String config(DemoBackends backends, int vipPort, String scheduler, int vm2Weight, boolean withVm3,
                         boolean autoreload) {
        return """
                checktimeout=2
                checkinterval=1
                quiescent=no
                autoreload=%s

                virtual=127.0.0.1:%d
                \treal=127.0.0.1:%d masq %d
                %s
                \tservice=http
                \trequest="index.html"
                \treceive="This is"
                \tscheduler=%s
                \tprotocol=tcp
                \tchecktype=negotiate
                """.formatted(autoreload ? "yes" : "no", vipPort, backends.port(0), vm2Weight,
                withVm3 ? "\treal=127.0.0.1:" + backends.port(1) + " masq" : "", scheduler);
    }

    String config(String scheduler, int vm2Weight, boolean withVm3) {
        return config(backends, vipPort, scheduler, vm2Weight, withVm3, false);
    }

    /** One HTTP/1.0 request on a new connection; the body, or "error: ..." */
    String get() {
        return get(null);
    }

    /** As above, from the local address {@code source} (127.0.0.x), or any when null. */
    String get(String source) {
        return TestHttp.get(source, "127.0.0.1", vipPort);
    }

    /** Waits until both backends have answered through the VIP (their first checks passed). */
    void awaitBothServing() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        boolean vm2 = false;
        boolean vm3 = false;
        while (System.nanoTime() < deadline && !(vm2 && vm3)) {
            String answer = get();
            vm2 |= answer.equals("This is VM2");
            vm3 |= answer.equals("This is VM3");
            if (!(vm2 && vm3)) {
                Thread.sleep(50);
            }
        }
        if (!(vm2 && vm3)) {
            throw new AssertionError("the VIP did not serve both real servers within 15 s");
        }
    }

    @Override
    public void close() {
        try {
            ops.close();
        } finally {
            try {
                director.close();
            } finally {
                backends.close();
            }
        }
    }
}
