package lbd.director.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's one thread ("lbd-control") and its one inbox, after Aeron's DriverConductor: every input —
 * a reload, an lbadm command, a health verdict, a MAC resolution, an HA transition — is a message on one
 * queue, and only this thread changes the control plane's state. Each duty cycle applies every
 * message waiting, in order, then runs the {@link Cycle} once (rebuild what changed, publish at most one
 * snapshot, act outward), and only then answers the callers whose messages it applied: a caller that gets its
 * answer sees its change published and acted on.
 *
 * <p>A message that fails with {@link DirectorException} (an operator's mistake: no such service…) is refused
 * with that message and changes nothing; any other exception is logged with what was being applied, fails that
 * caller, and the conductor goes on with the state it has.
 */
final class ControlConductor implements Agent {

    /** What a duty cycle does once its messages are applied. */
    interface Cycle {
        /** Rebuild what the applied messages changed, publish, act outward. Conductor thread. */
        void afterMessages();
    }

    private static final Logger log = LoggerFactory.getLogger("lbd");
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    // Idle: park until a message wakes the thread (offer unparks it), at the latest after this long.
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    // The JDK's lock-free queue, not Agrona's: Agrona 2's queues need --add-exports java.base/jdk.internal.misc on
    // every launcher, and a control-plane inbox carries a few messages a second, not a packet rate.
    private final ConcurrentLinkedQueue<Message<?>> inbox = new ConcurrentLinkedQueue<>();
    private final Cycle cycle;
    private final AgentRunner runner;
    private final List<Message<?>> applied = new ArrayList<>();
    private volatile Thread thread;
    private volatile boolean closed;

    ControlConductor(Cycle cycle) {
        this.cycle = cycle;
        this.runner = new AgentRunner(new SleepingIdleStrategy(IDLE_PARK_NANOS),
                e -> log.error("control plane: unexpected failure; the running state is kept", e), null, this);
        AgentRunner.startOnThread(runner, r -> {
            Thread t = new Thread(r, "lbd-control");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Any thread: applies {@code change} on the conductor thread and waits (bounded) until its cycle has published
     * and acted; returns its result or rethrows its failure. On the conductor thread itself it runs at once.
     */
    <T> T call(String what, Callable<T> change) {
        if (Thread.currentThread() == thread) {
            return applyInline(what, change);
        }
        Message<T> message = new Message<>(what, change);
        offer(message);
        return await(message);
    }

    /** Any thread: queues {@code change} (a health verdict, a resolution result) without waiting for it. */
    void post(String what, Runnable change) {
        offer(new Message<>(what, () -> {
            change.run();
            return null;
        }));
    }

    private void offer(Message<?> message) {
        if (closed) {
            message.answer.completeExceptionally(new DirectorException("lbd is stopping"));
            return;
        }
        inbox.offer(message);
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // wakes the idle park at once
        }
    }

    @Override
    public void onStart() {
        thread = Thread.currentThread();
    }

    @Override
    public int doWork() {
        Message<?> message;
        while ((message = inbox.poll()) != null) {
            apply(message);
        }
        if (applied.isEmpty()) {
            return 0;
        }
        int work = applied.size();
        Throwable failure = null;
        try {
            cycle.afterMessages();
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("control plane: acting on {} failed; the running state is kept", describeApplied(), e);
        }
        for (Message<?> done : applied) {
            if (failure == null) {
                done.complete();
            } else {
                done.answer.completeExceptionally(failure);
            }
        }
        applied.clear();
        return work;
    }

    private void apply(Message<?> message) {
        try {
            message.run();
            applied.add(message);
        } catch (DirectorException refused) {
            message.answer.completeExceptionally(refused);
        } catch (RuntimeException | Error e) {
            // An Error too (a class that cannot load, a stack overflow): it fails this message, never the thread
            // that every later input needs. Out of memory stops the JVM first (ExitOnOutOfMemoryError).
            log.error("control plane: {} failed; the running state is kept", message.what, e);
            message.answer.completeExceptionally(e);
        } catch (Exception e) {
            message.answer.completeExceptionally(new DirectorException(message.what + ": " + e.getMessage(), e));
        }
    }

    private <T> T applyInline(String what, Callable<T> change) {
        try {
            return change.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new DirectorException(what + ": " + e.getMessage(), e);
        }
    }

    private String describeApplied() {
        StringBuilder s = new StringBuilder();
        for (Message<?> m : applied) {
            if (!s.isEmpty()) {
                s.append(", ");
            }
            s.append(m.what);
        }
        return s.toString();
    }

    private static <T> T await(Message<T> message) {
        try {
            return message.answer.get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new DirectorException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new DirectorException("the control plane did not answer within " + ANSWER_TIMEOUT.toSeconds()
                    + " s (" + message.what + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectorException("interrupted", e);
        }
    }

    @Override
    public void onClose() {
        closed = true;
        Message<?> message;
        while ((message = inbox.poll()) != null) {
            message.answer.completeExceptionally(new DirectorException("lbd is stopping"));
        }
    }

    @Override
    public String roleName() {
        return "lbd-control";
    }

    /** Stops the thread; messages still queued are refused with "lbd is stopping". */
    void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // out of its idle park, so that it sees the runner stopping at once
        }
        runner.close();
    }

    /** One input with the caller's answer, completed after the cycle that applied it. */
    private static final class Message<T> {
        final String what;
        final Callable<T> change;
        final CompletableFuture<T> answer = new CompletableFuture<>();
        private T result;

        Message(String what, Callable<T> change) {
            this.what = what;
            this.change = change;
        }

        void run() throws Exception {
            result = change.call();
        }

        void complete() {
            answer.complete(result);
        }
    }
}
