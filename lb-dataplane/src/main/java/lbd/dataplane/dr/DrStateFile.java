package lbd.dataplane.dr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import lbd.dataplane.dr.flow.FlowRecords;
import lbd.dataplane.dr.flow.InheritedFlows;
import lbd.dataplane.table.SnapshotPublisher;

/**
 * The DR state in a file: {@link #save} writes what a data plane forwards (connections, persistence templates) as
 * {@link FlowRecords} messages one after another; {@link #restore} gives them to another data plane (the next
 * start with {@code cleanstop=no}, or the new process of an upgrade), which keeps each connection with what is
 * left of its timer until its first packet. A file that is stale, corrupt or of another format version is
 * ignored (from the first bad message on) with a warning, never an exception.
 */
public final class DrStateFile {

    /** How long a save waits for each worker's answer. */
    public static final Duration WORKER_WAIT = Duration.ofSeconds(2);
    /** Clock differences smaller than this between the writer and the reader are not reported. */
    private static final long CLOCK_SLACK_MILLIS = 60_000;

    private DrStateFile() {
    }

    /** What a restore took in, and what it says about the file (one line each, without the file name). */
    public record Restored(FlowHandOver.Counts counts, List<String> warnings) {
    }

    /**
     * Writes the plane's DR state to {@code path} (mode 0600, through a temporary file renamed over it, so a
     * reader never sees half a file). Throws {@link UncheckedIOException} when it cannot be written.
     */
    public static FlowHandOver.Counts save(DrDataPlane plane, Path path) {
        Path temporary = path.resolveSibling(path.getFileName() + ".new");
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            FlowHandOver.Counts counts;
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                counts = FlowHandOver.export(plane, message -> {
                    try {
                        while (message.hasRemaining()) {
                            out.write(message);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, WORKER_WAIT);
                out.force(true);
            }
            Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return counts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // best effort: the next save removes it
            }
        }
    }

    /**
     * Gives the state saved in {@code path} to {@code plane}. A missing file restores nothing, silently; a file
     * larger than the plane could hold, stale (every entry timed out since it was written), or corrupt from some
     * message on, is taken in up to that point and reported in the warnings.
     */
    public static Restored restore(DrDataPlane plane, Path path) {
        return restore(plane.publisher(), plane.inherited(), path);
    }

    /** As above, into {@code inherited}, for the services {@code publisher} publishes. */
    static Restored restore(SnapshotPublisher publisher, InheritedFlows inherited, Path path) {
        List<String> warnings = new ArrayList<>();
        FlowRecords.Reader reader = new FlowRecords.Reader();
        FlowHandOver.Counts total = new FlowHandOver.Counts(0, 0, 0);
        long oldest = 0;
        // One message at a time (at most 64 KiB): a file of millions of connections never sits in the heap whole.
        ByteBuffer buffer = ByteBuffer.allocate(FlowRecords.MAX_MESSAGE_LENGTH);
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = in.size();
            long bound = maxBytes(inherited);
            if (size > bound) {
                warnings.add("is " + size + " bytes, more than the " + bound + " this data path could hold; ignored");
                return new Restored(total, warnings);
            }
            long offset = 0;
            while (offset < size) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), size - offset));
                while (buffer.hasRemaining() && in.read(buffer, offset + buffer.position()) >= 0) {
                    // fill the window
                }
                String problem = reader.wrap(buffer, 0, buffer.position());
                if (problem != null) {
                    warnings.add("byte " + offset + ": " + problem + "; the rest of the file is ignored");
                    break;
                }
                long age = System.currentTimeMillis() - reader.writtenAtMillis();
                if (age < -CLOCK_SLACK_MILLIS) {
                    warnings.add("was written " + (-age / 1000) + " s in the future by this host's clock; ignored");
                    break;
                }
                oldest = Math.max(oldest, age);
                int length = reader.length();
                total = total.plus(FlowHandOver.importMessage(publisher, inherited, reader, age));
                offset += length;
            }
        } catch (NoSuchFileException e) {
            return new Restored(total, warnings);
        } catch (IOException e) {
            warnings.add("cannot be read: " + e.getMessage() + "; ignored");
            return new Restored(total, warnings);
        }
        if (total.flows() + total.templates() == 0 && total.left() > 0) {
            warnings.add("is stale: written " + (oldest / 1000) + " s ago, every connection in it has timed out"
                    + " since (or its services are gone); ignored");
        }
        return new Restored(total, warnings);
    }

    /** The largest file a plane could have written: a full record for every connection it can hold, and some. */
    static long maxBytes(InheritedFlows inherited) {
        long records = 2L * inherited.capacity() + 1_000_000;
        return records * FlowRecords.recordLength(false) + FlowRecords.HEADER_LENGTH * (records / 900 + 1);
    }
}
