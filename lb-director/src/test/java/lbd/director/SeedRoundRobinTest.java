package lbd.director;

import static lbd.director.TestHttp.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Transport;
import lbd.director.core.Director;
import lbd.director.demo.DemoBackends;
import lbd.director.demo.DemoConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first field guide's test, on one machine: two web servers behind a VIP, six curls alternate between
 * them, starting with VM3 (IPVS puts the last-added real server at the head of its list). Then one web server
 * stops and every request goes to the other.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SeedRoundRobinTest {

    @TempDir
    Path dir;

    @Test
    void sixRequestsAlternateAndAFailedServerIsTakenOut() throws Exception {
        int vipPort = freePort();
        DemoBackends vm2 = DemoBackends.start("VM2");
        DemoBackends vm3 = DemoBackends.start("VM3");
        Path file = dir.resolve("ldirectord.cf");
        Files.writeString(file, DemoConfig.text(vm2.port(0), vm3.port(0), vipPort));
        ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
        try (Director director = Director.start(config, Transport.AUTO, 1)) {
            awaitBothUp(vipPort);
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                answers.add(get(vipPort));
            }
            assertThat(answers).containsExactly(
                    "This is VM3", "This is VM2", "This is VM3", "This is VM2", "This is VM3", "This is VM2");

            vm3.close(); // "stop httpd on one web server"
            // checkinterval=1, failurecount=1: within a few seconds only VM2 answers.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> after = List.of();
            while (System.nanoTime() < deadline) {
                after = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    after.add(tryGet(vipPort));
                }
                if (after.stream().allMatch("This is VM2"::equals)) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(after).containsOnly("This is VM2");
        } finally {
            vm2.close();
            vm3.close();
        }
    }

    private static void awaitBothUp(int vipPort) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String a = tryGet(vipPort);
            String b = tryGet(vipPort);
            if (a.startsWith("This is") && b.startsWith("This is") && !a.equals(b)) {
                // The next request goes to whichever answered first: rewind by one so the six-request check
                // starts at the head of the list again.
                if (a.equals("This is VM3")) {
                    return;
                }
                tryGet(vipPort);
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the VIP did not serve both real servers within 10 s");
    }

    private static String tryGet(int port) {
        try {
            return get(port);
        } catch (IOException | InterruptedException e) {
            return "error: " + e;
        }
    }

    private static String get(int port) throws IOException, InterruptedException {
        // A new connection per request, as curl does.
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
                            .timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body().strip();
        }
    }
}
