package lbd.dataplane.sched;

import lbd.dataplane.counter.DestinationCounters;

/**
 * The IPVS schedulers that choose by each server's current connections and weight, as one rule each: what a
 * server's load is, and when a later server in the list beats an earlier one. Every one of them keeps the first
 * server in list order among equals (the kernel's scans replace their choice only by a strictly better one),
 * which is what lets {@link LeastLoadTournament} keep the choice current instead of scanning.
 */
enum LoadRule {
    /** lc (ip_vs_lc.c): the least {@code active * 256 + inactive} (ip_vs_dest_conn_overhead). */
    LC {
        @Override
        long load(DestinationCounters c) {
            return connOverhead(c);
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            return rightLoad < leftLoad;
        }
    },
    /** wlc (ip_vs_wlc.c): the least {@code (active * 256 + inactive) / weight}, cross-multiplied in 64 bits. */
    WLC {
        @Override
        long load(DestinationCounters c) {
            return connOverhead(c);
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            return leftLoad * rightWeight > rightLoad * leftWeight;
        }
    },
    /** sed (ip_vs_sed.c): the least expected delay {@code (active + 1) / weight}; inactive ones are ignored. */
    SED {
        @Override
        long load(DestinationCounters c) {
            return c.activeConnections() + 1L;
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            return leftLoad * rightWeight > rightLoad * leftWeight;
        }
    },
    /**
     * nq (ip_vs_nq.c): the first idle server (no active connection) whatever its weight, else as sed. In a
     * match an idle left side wins at once (it comes first), an idle right side beats a busy left one.
     */
    NQ {
        @Override
        long load(DestinationCounters c) {
            return c.activeConnections() + 1L;
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            if (leftLoad == 1) {
                return false;
            }
            if (rightLoad == 1) {
                return true;
            }
            return leftLoad * rightWeight > rightLoad * leftWeight;
        }
    },
    /** fo (ip_vs_fo.c): the server with the highest weight; the load plays no part. */
    FO {
        @Override
        long load(DestinationCounters c) {
            return 0;
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            return rightWeight > leftWeight;
        }
    },
    /**
     * ovf (ip_vs_ovf.c): the highest weight among servers with no more active connections than their weight
     * (the weight doubles as a limit); none such, no server. UDP flows are never active, so they never overflow.
     */
    OVF {
        @Override
        long load(DestinationCounters c) {
            return c.activeConnections();
        }

        @Override
        boolean eligible(long load, int weight) {
            return load <= weight;
        }

        @Override
        boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight) {
            return rightWeight > leftWeight;
        }
    };

    /** A server's load under this rule, from its counters. */
    abstract long load(DestinationCounters c);

    /** Whether a server with weight > 0 and this load may be chosen at all. */
    boolean eligible(long load, int weight) {
        return true;
    }

    /** Whether the later server (right) strictly beats the earlier one (left); both eligible, weight > 0. */
    abstract boolean rightBetter(long leftLoad, int leftWeight, long rightLoad, int rightWeight);

    /** ip_vs_dest_conn_overhead: an active connection is thought to cost 256 times an inactive one. */
    static long connOverhead(DestinationCounters c) {
        return ((long) c.activeConnections() << 8) + c.inactiveConnections();
    }

    /** The rule of a scheduler kind, or null when the kind does not choose by load. */
    static LoadRule of(lbd.config.model.SchedulerKind kind) {
        return switch (kind) {
            case LC -> LC;
            case WLC -> WLC;
            case SED -> SED;
            case NQ -> NQ;
            case FO -> FO;
            case OVF -> OVF;
            default -> null;
        };
    }
}
