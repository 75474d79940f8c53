package lbd.dataplane.dr;

/**
 * One DR worker's flow table: how many connections it tracks and how many it can.
 *
 * @param worker   the worker's index
 * @param flows    entries in use
 * @param capacity the table's fixed size (a new connection beyond it first evicts a half-open one, or a UDP flow of few datagrams)
 */
public record FlowOccupancy(int worker, int flows, int capacity) {
}
