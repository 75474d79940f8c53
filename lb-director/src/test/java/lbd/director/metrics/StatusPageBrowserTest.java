package lbd.director.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import lbd.config.ConfigLoader;
import lbd.config.ConfigResult;
import lbd.config.model.ClusterConfig;
import lbd.config.model.Endpoint;
import lbd.config.model.Transport;
import lbd.director.TestHttp;
import lbd.director.control.DirectorOps;
import lbd.director.core.Director;
import lbd.director.demo.DemoBackends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The status page in a real browser: Debian's headless Chromium driven through its chromedriver (Selenium). A
 * director with two real servers checked every {@value #CHECK_INTERVAL_SECONDS} s; the page shows both up; the test
 * kills one and the page shows it red within two check intervals. The screenshot is kept as
 * target/status-page.png.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final int CHECK_INTERVAL_SECONDS = 2;
    /** The state cell of a server that is down or held out: --down, #c62828. */
    private static final String RED = "rgb(198, 40, 40)";
    private static final String GREEN = "rgb(46, 125, 50)";

    @TempDir
    Path dir;

    @Test
    void aKilledRealServerTurnsRedWithinTwoCheckIntervals() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and its driver are not installed (apt-get install chromium chromium-driver):"
                        + " the status page's browser test is skipped");
        try (DemoBackends backends = DemoBackends.start("VM2", "VM3")) {
            int vipPort = TestHttp.freePort();
            Path file = dir.resolve("ldirectord.cf");
            Files.writeString(file, """
                    checkinterval=%d
                    checktimeout=1
                    quiescent=yes
                    virtual=127.0.0.1:%d
                    \treal=127.0.0.1:%d masq
                    \treal=127.0.0.1:%d masq
                    \tservice=http
                    \trequest="index.html"
                    \treceive="This is"
                    \tscheduler=rr
                    \tchecktype=negotiate
                    """.formatted(CHECK_INTERVAL_SECONDS, vipPort, backends.port(0), backends.port(1)));
            ClusterConfig config = ((ConfigResult.Loaded) ConfigLoader.load(file)).config();
            try (Director director = Director.start(config, Transport.NIO, 1);
                 DirectorOps ops = DirectorOps.start(director, null, dir.resolve("lbd.sock"),
                         Optional.of(Endpoint.of("127.0.0.1", 0)), () -> "lbd version test", List.of(),
                         Optional::empty)) {
                String vm2 = "127.0.0.1:" + backends.port(0);
                String vm3 = "127.0.0.1:" + backends.port(1);
                WebDriver browser = chromium();
                try {
                    String page = "http://127.0.0.1:" + ops.metricsPort() + "/";
                    browser.get(page);
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                            .until(() -> state(browser, vm2).equals("up") && state(browser, vm3).equals("up"));
                    for (int i = 0; i < 20; i++) {
                        assertThat(TestHttp.get(null, "127.0.0.1", vipPort)).startsWith("This is VM");
                    }
                    assertThat(stateColour(browser, vm3)).isEqualTo(GREEN);

                    // The sparklines draw the rate samples (one per 2 s): wait until the traffic above is in them.
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                            .until(() -> sparkPoints(browser, vm2) >= 3);
                    backends.stop(1);
                    long killed = System.nanoTime();
                    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                            .until(() -> List.of("down", "held out").contains(state(browser, vm3)));
                    Duration took = Duration.ofNanos(System.nanoTime() - killed);
                    System.out.println("StatusPageBrowserTest: the killed server's row was red after " + took.toMillis()
                            + " ms (checkinterval " + CHECK_INTERVAL_SECONDS + " s, the page polls every second)");

                    assertThat(took).as("red within two check intervals")
                            .isLessThanOrEqualTo(Duration.ofSeconds(2L * CHECK_INTERVAL_SECONDS));
                    assertThat(stateColour(browser, vm3)).isEqualTo(RED);
                    assertThat(state(browser, vm2)).isEqualTo("up");
                    assertThat(transitionsText(browser)).contains(vm3).contains("down");
                    // Nothing but the page and its data was fetched: no external assets.
                    Object fetched = ((JavascriptExecutor) browser).executeScript(
                            "return performance.getEntriesByType('resource').map(e => e.name)"
                                    + ".filter(n => !n.startsWith(location.origin));");
                    assertThat((List<?>) fetched).isEmpty();

                    File shot = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
                    Path kept = Path.of("target", "status-page.png");
                    Files.createDirectories(kept.getParent());
                    Files.copy(shot.toPath(), kept, StandardCopyOption.REPLACE_EXISTING);
                    assertThat(Files.size(kept)).isPositive();
                } finally {
                    browser.quit();
                }
            }
        }
    }

    // The page redraws every second, replacing its rows: each read is one script, which runs between two redraws
    // (an element found in one WebDriver call may be gone by the next).

    private static String state(WebDriver browser, String server) {
        Object state = ((JavascriptExecutor) browser).executeScript(
                "const r = document.querySelector(\"tr[data-server='\" + arguments[0] + \"']\");"
                        + " return r ? r.dataset.state : '';", server);
        return String.valueOf(state);
    }

    /** The background colour of the server's state cell, as the browser computed it. */
    private static String stateColour(WebDriver browser, String server) {
        Object colour = ((JavascriptExecutor) browser).executeScript(
                "const c = document.querySelector(\"tr[data-server='\" + arguments[0] + \"'] td.state\");"
                        + " return c ? getComputedStyle(c).backgroundColor : '';", server);
        return String.valueOf(colour);
    }

    private static String transitionsText(WebDriver browser) {
        return String.valueOf(((JavascriptExecutor) browser).executeScript(
                "return document.querySelector('#transitions tbody').innerText;"));
    }

    /** How many samples the real server's conn/s sparkline draws, once one of them is not zero (else 0). */
    private static long sparkPoints(WebDriver browser, String server) {
        Object n = ((JavascriptExecutor) browser).executeScript(
                "const l = document.querySelector(\"tr[data-server='\" + arguments[0] + \"'] polyline\");"
                        + " if (!l) return 0; const p = l.getAttribute('points').trim().split(' ');"
                        + " return p.some(xy => Number(xy.split(',')[1]) < 21) ? p.length : 0;", server);
        return ((Number) n).longValue();
    }

    /** Debian's Chromium, headless, with a fresh profile, through Debian's chromedriver (no download). */
    private WebDriver chromium() throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }
}
