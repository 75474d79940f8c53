#!/usr/bin/env python3
"""Measurement helpers for compare.sh (Python 3 standard library only).

Subcommands:
  tree PID                      print "rss_kb cpu_s fds" summed over PID and all its descendants
  idle PID PORT CONNS [SETTLE]  open CONNS idle TCP connections to 127.0.0.1:PORT, hold them, and print
                                "conns rss_before_kb rss_after_kb fds_added kb_per_conn" for PID's tree; the
                                "before" is read SETTLE seconds after the call (default 0.5), the "after"
                                SETTLE seconds after the proxy's fd count settled (default: at once)
  wrk FILE                      parse the LBDPEER line that report.lua prints; print "key=value ..." for the shell
  iperf FILE                    parse iperf3 -J output; print "gbit_per_s bytes"
  summarize RAW_CSV OUT_DIR     medians, spreads and ratios -> peers-summary.csv, peers-summary.md, peers-plot-*.dat

A proxy is measured as a process tree because nginx runs a master and workers; for haproxy and lbd the
tree is one process. CPU time is utime+stime of every thread (the JVM's JIT and GC threads included).
"""
import csv
import json
import os
import resource
import socket
import statistics
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: split after the last ')'
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree_pids(root):
    kids = children_map()
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(kids.get(pid, []))
    return seen


def tree_stat(root):
    rss_kb, ticks, fds = 0, 0, 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss_kb += int(line.split()[1])
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read()
            fields = fields[fields.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
    return rss_kb, ticks / CLK_TCK, fds


def cmd_tree(pid):
    rss_kb, cpu_s, fds = tree_stat(int(pid))
    print(f"{rss_kb} {cpu_s:.2f} {fds}")


def wait_stable_fds(pid, floor, deadline):
    """Waits until the tree's fd count reaches floor and then stops moving (the proxy has accepted and
    connected upstream), or until deadline."""
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        _, _, fds = tree_stat(pid)
        now = time.monotonic()
        if fds != last:
            last, stable_since = fds, now
        elif fds >= floor and now - stable_since >= 1.0:
            return fds
        time.sleep(0.25)
    return last


def cmd_idle(pid, port, conns, settle=None):
    pid, port, conns = int(pid), int(port), int(conns)
    # A JVM returns its compilers' scratch memory to the system some seconds after a burst of compiling (at start,
    # and again when the connections arrive): SETTLE lets both readings wait for that, so that they count what
    # the process keeps, not what it is using for a moment.
    settle = None if settle is None else float(settle)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = conns + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    time.sleep(0.5 if settle is None else settle)
    rss_before, _, fds_before = tree_stat(pid)
    socks = []
    try:
        for _ in range(conns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5.0)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                break
            socks.append(s)
        fds_after = wait_stable_fds(pid, fds_before + len(socks), time.monotonic() + 30.0)
        if settle:
            time.sleep(settle)
        rss_after, _, _ = tree_stat(pid)
    finally:
        for s in socks:
            s.close()
    opened = len(socks)
    per_conn = (rss_after - rss_before) / opened if opened else float("nan")
    print(f"{opened} {rss_before} {rss_after} {fds_after - fds_before} {per_conn:.2f}")


def cmd_wrk(path):
    with open(path) as f:
        for line in f:
            if line.startswith("LBDPEER "):
                print(line[len("LBDPEER "):].strip())
                return
    print("missing=1")


def cmd_iperf(path):
    with open(path) as f:
        data = json.load(f)
    if "error" in data:
        print("nan 0")
        return
    end = data["end"]["sum_received"]
    print(f"{end['bits_per_second'] / 1e9:.3f} {int(end['bytes'])}")


# metric -> (label for tables, higher is better)
METRICS = {
    ("keepalive", "req_per_s"): ("keep-alive req/s", True),
    ("keepalive", "p50_ms"): ("keep-alive p50 ms (uncorrected)", False),
    ("keepalive", "p99_ms"): ("keep-alive p99 ms (uncorrected)", False),
    ("keepalive", "p999_ms"): ("keep-alive p99.9 ms (uncorrected)", False),
    ("connclose", "conn_per_s"): ("new connection per request, conn/s", True),
    ("connclose", "p99_ms"): ("new connection per request, p99 ms", False),
    ("bulk1m", "mb_per_s"): ("1 MiB GETs, MB/s", True),
    ("iperf3", "gbit_per_s"): ("iperf3, Gbit/s", True),
    ("iperf3", "cpu_s_per_gb"): ("proxy CPU s per GB (iperf3)", False),
    ("idle", "kb_per_conn"): ("RSS KiB per idle connection", False),
    ("idle", "conns"): ("idle connections held", True),
    ("idle", "rss_base_mib"): ("RSS MiB of a fresh, idle proxy process", False),
}
# the latency workload's rows: workload latency_<mode>_<level %>, one set of metrics per load level
LATENCY_MODES = {"keepalive": "keep-alive", "connclose": "new connection per request"}
LATENCY_METRICS = [("achieved_per_s", "achieved req/s", True), ("p50_ms", "p50 ms", False),
                   ("p99_ms", "p99 ms", False), ("p999_ms", "p99.9 ms", False),
                   ("max_ms", "max ms", False), ("errors", "errors", False),
                   ("client_stall_max_ms", "load client's longest own stall ms", False)]
LATENCY_CORRECTED = {"p50_ms", "p99_ms", "p999_ms", "max_ms"}
LATENCY_PROBE = {("latency_probe", "keepalive_max_req_per_s"): ("HAProxy's maximum keep-alive req/s (base of the latency levels)", True),
                 ("latency_probe", "connclose_max_conn_per_s"): ("HAProxy's maximum conn/s (base of the latency levels)", True)}


def latency_metrics(workloads):
    """Labels for the latency_<mode>_<level> workloads present, in mode, level, metric order."""
    found = []
    for w in workloads:
        parts = w.split("_")
        if len(parts) == 3 and parts[0] == "latency" and parts[1] in LATENCY_MODES and parts[2].isdigit():
            found.append((list(LATENCY_MODES).index(parts[1]), int(parts[2]), w, parts[1]))
    metrics = {}
    for _, level, w, mode in sorted(found):
        for metric, label, higher in LATENCY_METRICS:
            corrected = " (CO-corrected)" if metric in LATENCY_CORRECTED else ""
            metrics[(w, metric)] = (f"{LATENCY_MODES[mode]} at {level} % of HAProxy's max, {label}{corrected}", higher)
    return metrics


PLOTS = [("keepalive", "req_per_s"), ("keepalive", "p99_ms"), ("connclose", "conn_per_s"),
         ("bulk1m", "mb_per_s"), ("iperf3", "gbit_per_s"), ("idle", "kb_per_conn")]


def fmt(x):
    if x is None or x != x:
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def cmd_summarize(raw, out_dir):
    values, targets = {}, []
    with open(raw) as f:
        for row in csv.DictReader(f):
            if row["target"] not in targets:
                targets.append(row["target"])
            try:
                v = float(row["value"])
            except ValueError:
                continue
            if v == v:
                values.setdefault((row["workload"], row["metric"], row["target"]), []).append(v)

    # direct first, as in every run before the latency workload's probe rows (haproxy) came first in the file
    targets.sort(key=lambda t: t != "direct")

    def median(key):
        vs = values.get(key)
        return statistics.median(vs) if vs else None

    metrics = dict(METRICS)
    metrics.update(LATENCY_PROBE)
    metrics.update(latency_metrics({w for (w, _, _) in values}))
    rows = []
    for (workload, metric), (label, _) in metrics.items():
        for target in targets:
            vs = values.get((workload, metric, target))
            if not vs:
                continue
            med = statistics.median(vs)
            ref_h = median((workload, metric, "haproxy"))
            ref_d = median((workload, metric, "direct"))
            rows.append({
                "workload": workload, "metric": metric, "target": target, "n": len(vs),
                "median": med, "min": min(vs), "max": max(vs),
                "spread_pct": (max(vs) - min(vs)) / med * 100 if med else float("nan"),
                "vs_haproxy": med / ref_h if ref_h else float("nan"),
                "vs_direct": med / ref_d if ref_d else float("nan"),
            })
    with open(os.path.join(out_dir, "peers-summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["workload"])
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})

    # first a wide overview (one row per metric, one column per target), then one table per metric
    lines = ["| metric | " + " | ".join(targets) + " |", "|---|" + "---:|" * len(targets)]
    for (workload, metric), (label, higher) in metrics.items():
        by_target = {r["target"]: r for r in rows if r["workload"] == workload and r["metric"] == metric}
        if not by_target or metric == "conns":
            continue
        cells = []
        for t in targets:
            r = by_target.get(t)
            cells.append("–" if r is None else f"{fmt(r['median'])} (±{r['spread_pct'] / 2:.0f} %)")
        lines.append(f"| {label} {'↑' if higher else '↓'} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| ratio to HAProxy (median / median) | " + " | ".join(targets) + " |")
    lines.append("|---|" + "---:|" * len(targets))
    for (workload, metric), (label, higher) in metrics.items():
        by_target = {r["target"]: r for r in rows if r["workload"] == workload and r["metric"] == metric}
        if not by_target or metric == "conns":
            continue
        lines.append(f"| {label} {'↑' if higher else '↓'} | "
                     + " | ".join(fmt(by_target[t]["vs_haproxy"]) if t in by_target else "–" for t in targets) + " |")
    lines.append("")
    for (workload, metric), (label, higher) in metrics.items():
        sel = [r for r in rows if r["workload"] == workload and r["metric"] == metric]
        if not sel:
            continue
        better = "higher is better" if higher else "lower is better"
        lines.append(f"**{label}** ({better}; n = runs per target)\n")
        lines.append("| target | n | median | min – max | spread | × HAProxy | × direct |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for r in sel:
            lines.append(f"| {r['target']} | {r['n']} | {fmt(r['median'])} | {fmt(r['min'])} – {fmt(r['max'])} "
                         f"| {r['spread_pct']:.0f} % | {fmt(r['vs_haproxy'])} | {fmt(r['vs_direct'])} |")
        lines.append("")
    with open(os.path.join(out_dir, "peers-summary.md"), "w") as f:
        f.write("\n".join(lines))

    for workload, metric in PLOTS:
        path = os.path.join(out_dir, f"peers-plot-{workload}-{metric}.dat")
        sel = [r for r in rows if r["workload"] == workload and r["metric"] == metric]
        if not sel:
            if os.path.exists(path):
                os.remove(path)  # a workload left out of this run: no stale panel from an earlier one
            continue
        with open(path, "w") as f:
            f.write("# target median min max\n")
            for r in sel:
                f.write(f"{r['target']} {r['median']:.6g} {r['min']:.6g} {r['max']:.6g}\n")


def main(argv):
    # name: (function, required arguments, optional arguments)
    commands = {"tree": (cmd_tree, 1, 0), "idle": (cmd_idle, 3, 1), "wrk": (cmd_wrk, 1, 0),
                "iperf": (cmd_iperf, 1, 0), "summarize": (cmd_summarize, 2, 0)}
    if len(argv) < 2 or argv[1] not in commands \
            or not commands[argv[1]][1] <= len(argv) - 2 <= commands[argv[1]][1] + commands[argv[1]][2]:
        print(__doc__, file=sys.stderr)
        return 2
    fn = commands[argv[1]][0]
    fn(*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
