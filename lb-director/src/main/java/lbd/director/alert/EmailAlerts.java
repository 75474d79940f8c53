package lbd.director.alert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import lbd.config.model.ClusterConfig;
import lbd.config.model.DaemonStatus;
import lbd.config.model.EmailAlert;
import lbd.config.model.RealServer;
import lbd.config.model.VirtualService;
import lbd.config.model.VirtualServiceKey;
import lbd.health.HealthEvent;
import lbd.health.HealthState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * emailalert=: ldirectord's alert mail on every change of a real server's state, with its subjects —
 * {@code Quiescent real server: R (V) (Weight set to 0)}, {@code Deleted real server: R (V)} (quiescent=no),
 * {@code Restored real server: R (V) (Weight set to W)} / {@code Added real server: ...} (quiescent=no) when it
 * comes back, {@code Added fallback server: ...} / {@code Deleted fallback server: ...} — and, while a server stays
 * down, {@code Inaccessible real server: R (V)} again every emailalertfreq seconds (0: never; a server that comes
 * back stops it). emailalertstatus= filters on the daemon's status at the time.
 *
 * <p>Called on the health monitor's event thread, which must not wait: a mail is only queued here. One "lbd-mail"
 * thread sends, in order; a full queue (a relay that is down while many servers change) drops the newest mail with
 * a log line, and a failed send is logged — never retried, never in the way of checks.
 */
public final class EmailAlerts implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("lbd");
    static final int QUEUE = 1000;

    private final Clock clock;
    private final Mailer mailer;
    private final ThreadPoolExecutor sender;
    private final ScheduledExecutorService resender;
    private final String user = System.getProperty("user.name", "root");
    private final String hostname = hostname();

    private volatile ClusterConfig config;
    private volatile DaemonStatus status = DaemonStatus.STARTING;
    /** ldirectord's EMAILSTATUS: the servers down whose alert is repeated, by "R (V)". Guarded by itself. */
    private final Map<String, Pending> pending = new HashMap<>();

    private record Pending(EmailAlert alert, VirtualService service, Instant last) {
    }

    /** How a mail leaves (SMTP in production; tests may count). */
    interface Mailer {
        void send(AlertMail mail) throws Exception;
    }

    public EmailAlerts(ClusterConfig config) {
        this(config, SmtpSender::send, Clock.systemUTC(), Duration.ofSeconds(1));
    }

    EmailAlerts(ClusterConfig config, Mailer mailer, Clock clock, Duration resendCheck) {
        this.config = config;
        this.mailer = mailer;
        this.clock = clock;
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "lbd-mail");
            t.setDaemon(true);
            return t;
        });
        this.resender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lbd-mail-resend");
            t.setDaemon(true);
            return t;
        });
        resender.scheduleWithFixedDelay(this::resendDue, resendCheck.toMillis(), resendCheck.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The configuration now in force (start, reload): whose settings the next mails follow. */
    public void configure(ClusterConfig next) {
        config = next;
    }

    /** The daemon's status, as ldirectord's Daemon-Status and emailalertstatus= see it. */
    public void status(DaemonStatus next) {
        status = next;
    }

    public DaemonStatus status() {
        return status;
    }

    /** Health event thread: a real server went up or down. */
    public void onTransition(HealthEvent event) {
        VirtualService service = find(event.server().service());
        if (service == null) {
            return;
        }
        RealServer real = service.realServers().stream().filter(r -> r.key().equals(event.server())).findFirst()
                .orElse(null);
        String rserver = event.server().address().toString();
        String id = rserver + " (" + service.address() + ")";
        if (event.state() == HealthState.DOWN) {
            String subject = service.quiescent()
                    ? "Quiescent real server: " + id + " (Weight set to 0)"
                    : "Deleted real server: " + id;
            send(service, subject, true, id);
        } else {
            int weight = real == null ? 1 : real.weight();
            String subject = (service.quiescent() ? "Restored" : "Added") + " real server: " + id
                    + " (Weight set to " + weight + ")";
            send(service, subject, false, id);
        }
    }

    /** Health event thread: the service's fallback server came in (every real server down) or left. */
    public void onFallback(VirtualServiceKey key, boolean active) {
        VirtualService service = find(key);
        if (service == null || service.fallback().isEmpty()) {
            return;
        }
        String id = service.fallback().get().address() + " (" + service.address() + ")";
        send(service, active ? "Added fallback server: " + id + " (Weight set to 1)" : "Deleted fallback server: " + id,
                false, id);
    }

    private VirtualService find(VirtualServiceKey key) {
        for (VirtualService vs : config.virtualServices()) {
            if (vs.key().equals(key)) {
                return vs;
            }
        }
        return null;
    }

    /**
     * ldirectord's ld_emailalert_send: arm or clear the repeat for {@code id}, then mail unless the service has no
     * alert or the daemon's status is filtered out.
     */
    private void send(VirtualService service, String subject, boolean repeatWhileDown, String id) {
        Optional<EmailAlert> alert = service.reporting().emailAlert();
        synchronized (pending) {
            if (repeatWhileDown && alert.isPresent() && !alert.get().resendEvery().isZero()) {
                pending.put(id, new Pending(alert.get(), service, clock.instant()));
            } else {
                pending.remove(id);
            }
        }
        alert.ifPresent(a -> queue(a, service, subject));
    }

    private void queue(EmailAlert alert, VirtualService service, String subject) {
        DaemonStatus now = status;
        if (!alert.statuses().contains(now)) {
            return;
        }
        log.info("emailalert: {}", subject);
        AlertMail mail = AlertMail.of(alert, subject, service.reporting().serviceName(), service.reporting().comment(),
                config.globals().emailAlertFrom(), user, hostname, now);
        try {
            sender.execute(() -> deliver(mail));
        } catch (RejectedExecutionException e) {
            log.warn("emailalert: {} mails are waiting for the relay; not sending \"{}\"", QUEUE, mail.subject());
        }
    }

    private void deliver(AlertMail mail) {
        try {
            mailer.send(mail);
        } catch (Exception e) {
            log.warn("emailalert: failed to send \"{}\" to {} via {}: {}", mail.subject(),
                    String.join(", ", mail.recipients()),
                    mail.alert().smtpServer().orElse(SmtpSender.LOCAL_MTA), rootMessage(e));
        }
    }

    /** ldirectord's ld_emailalert_resend: every server down for emailalertfreq since its last mail, again. */
    private void resendDue() {
        try {
            Instant now = clock.instant();
            List<Map.Entry<String, Pending>> due;
            synchronized (pending) {
                due = pending.entrySet().stream()
                        .filter(e -> !now.isBefore(e.getValue().last().plus(e.getValue().alert().resendEvery())))
                        .map(e -> Map.entry(e.getKey(), e.getValue())).toList();
                for (Map.Entry<String, Pending> e : due) {
                    pending.put(e.getKey(), new Pending(e.getValue().alert(), e.getValue().service(), now));
                }
            }
            for (Map.Entry<String, Pending> e : due) {
                queue(e.getValue().alert(), e.getValue().service(), "Inaccessible real server: " + e.getKey());
            }
        } catch (RuntimeException e) {
            log.warn("emailalert: repeating alerts failed: {}", e.toString());
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The node name, as ldirectord's hostname() (uname -n). */
    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException again) {
                return "localhost";
            }
        }
    }

    /** Stops repeating; mails already queued get a short while to leave. */
    @Override
    public void close() {
        resender.shutdownNow();
        sender.shutdown();
        try {
            sender.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.shutdownNow();
    }
}
