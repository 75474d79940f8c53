package lbd.dataplane.sched;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lbd.config.model.RealServerKey;
import lbd.dataplane.table.Destination;
import lbd.dataplane.table.ServiceTable;

/** Helpers run when a table changes (never per pick). */
final class Weights {

    static final int[] NONE = new int[0];

    private Weights() {
    }

    /** The weights of a table's destinations, in list order, so that a pick reads a flat int array. */
    static int[] of(ServiceTable table) {
        if (table == null) {
            return NONE;
        }
        List<Destination> list = table.destinations();
        int[] weights = new int[list.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = list.get(i).weight();
        }
        return weights;
    }

    /** Index of each real server in a table. */
    static Map<RealServerKey, Integer> indexByKey(ServiceTable table) {
        Map<RealServerKey, Integer> index = HashMap.newHashMap(table.destinations().size());
        for (Destination d : table.destinations()) {
            index.put(d.key(), d.index());
        }
        return index;
    }
}
