package lbd.director.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import lbd.dataplane.dr.DrStateFile;
import lbd.dataplane.dr.FlowHandOver;
import lbd.director.upgrade.DrFlowHandOver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct-routing connections and persistence templates across {@code lbd upgrade}, in the format and through
 * the code of a restart under {@code cleanstop=no} ({@link DrStateFile}): the old process holds its DR workers,
 * saves their state to a scratch file in the runtime directory and hands over its bytes; the new process, whose
 * workers started held, writes them to the same place, restores them and lets its workers forward.
 *
 * <p>The gap a connection sees — from the old workers' hold to the new ones' release — is the save, the transfer
 * and the restore; its packets meanwhile are dropped (counted as {@code dropped-held}) and retransmitted by the
 * client. Both processes' raw sockets get every frame (each process is a fanout group of its own), so exactly one
 * of them may forward at any moment: never both, or one SYN could be scheduled to two real servers.
 */
final class DrFlowsThroughFile implements DrFlowHandOver {

    private static final Logger log = LoggerFactory.getLogger("lbd");

    private final DrBinding dr;
    private final Path scratch;

    DrFlowsThroughFile(DrBinding dr, Path scratch) {
        this.dr = dr;
        this.scratch = scratch;
    }

    /**
     * Holds the workers and waits until each has seen it: a listing is answered between two batches, and every
     * frame after it finds the hold — so from here on no worker changes a flow (nor tells the connection sync).
     */
    @Override
    public void hold() {
        dr.hold(true);
        dr.connections(0, java.time.Duration.ofSeconds(2));
    }

    @Override
    public byte[] save() {
        dr.hold(true); // first: from here on only the new process schedules
        if (dr.plane() == null) {
            return new byte[0];
        }
        try {
            FlowHandOver.Counts saved = dr.saveState(scratch);
            byte[] bytes = Files.readAllBytes(scratch);
            log.info("lbd upgrade: {} DR connections and {} persistence templates handed over ({} bytes){}",
                    saved.flows(), saved.templates(), bytes.length,
                    saved.left() > 0 ? "; " + saved.left() + " of a worker that did not answer left out" : "");
            return bytes;
        } catch (IOException | UncheckedIOException e) {
            // The new process serves already and forwards once "released" arrives: it goes on without them (with
            // sloppytcp=yes and mh their packets still reach their real servers).
            log.error("lbd upgrade: cannot save the DR connections to {} ({}); the new lbd starts without them",
                    scratch, e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage());
            return new byte[0];
        } finally {
            delete();
        }
    }

    @Override
    public void restore(byte[] saved) {
        try {
            if (saved.length > 0) {
                Files.deleteIfExists(scratch);
                // clients' addresses: 0600, as the restart's file
                Files.createFile(scratch, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(scratch, saved, StandardOpenOption.WRITE);
                DrStateFile.Restored restored = dr.restoreState(scratch);
                restored.warnings().forEach(w -> log.warn("lbd upgrade: the DR connections handed over {}", w));
                FlowHandOver.Counts c = restored.counts();
                log.info("lbd upgrade: {} DR connections and {} persistence templates taken over{}", c.flows(),
                        c.templates(), c.left() > 0 ? " (" + c.left() + " timed out or no longer configured)" : "");
            }
        } catch (IOException e) {
            log.warn("lbd upgrade: cannot take over the DR connections handed over ({}): {}", scratch, e.getMessage());
        } finally {
            delete();
            dr.hold(false); // with or without the connections: this process is the one that forwards now
        }
    }

    @Override
    public void resume() {
        dr.hold(false);
    }

    private void delete() {
        try {
            Files.deleteIfExists(scratch);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", scratch, e.getMessage());
        }
    }
}
