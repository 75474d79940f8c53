package lbd.director.metrics;

/**
 * Reloads since lbd started (SIGHUP, lbadm --reload, autoreload), for the metrics.
 *
 * @param succeeded         reloads applied
 * @param failed            reloads refused: the file did not load, or could not be put into service
 * @param lastSuccessMillis when the last one was applied (epoch ms), 0 before the first
 * @param lastSuccessful    whether the last reload was applied (true before the first: the file lbd started with)
 */
public record ReloadCounters(long succeeded, long failed, long lastSuccessMillis, boolean lastSuccessful) {
}
