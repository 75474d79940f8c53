#!/usr/bin/env python3
"""The table of targets.sh: where lbd stands on each performance target, from the run's own outputs.

    targets_table.py DIR    (DIR as targets.sh wrote it: peers-threads-N/peers-summary.csv, dr.txt, health.txt)

Every figure is a median (peers: of compare.sh's repetitions; health: of the rounds) and every ratio is taken
within the same run. A part that was skipped or failed shows as such. Python 3 standard library only.
"""
import csv
import os
import re
import statistics
import sys

LBD = ("lbd-io_uring", "lbd-epoll", "lbd-nio")


def peers(path):
    """{(workload, metric, target): median} from a compare.sh summary."""
    table = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            table[(row["workload"], row["metric"], row["target"])] = float(row["median"])
    return table


def fmt(x):
    if x is None:
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def ratio_row(t, workload, metric, reference, want, better_high=True, label=None):
    """One row: each lbd transport's median against `reference`'s, and whether `want` (a ratio) holds."""
    ref = t.get((workload, metric, reference))
    cells, met = [], []
    for target in LBD:
        v = t.get((workload, metric, target))
        if v is None or ref in (None, 0):
            cells.append("–")
            continue
        r = v / ref
        ok = r >= want if better_high else r <= want
        met.append(ok)
        cells.append(f"{fmt(v)} ({r:.2f} ×)")
    status = "–" if not met else ("met" if all(met) else ("met on " + ", ".join(
        LBD[i].removeprefix("lbd-") for i, ok in enumerate(met) if ok) if any(met) else "missed"))
    sign = "≥" if better_high else "≤"
    return [label or f"{workload} {metric}", f"{sign} {want:g} × {reference}", fmt(ref)] + cells + [status]


def absolute_row(t, workload, metric, limit, label):
    cells, met = [], []
    for target in LBD:
        v = t.get((workload, metric, target))
        if v is None:
            cells.append("–")
            continue
        met.append(v <= limit)
        cells.append(fmt(v))
    status = "–" if not met else ("met" if all(met) else ("missed" if not any(met) else "met on some"))
    return [label, f"≤ {limit:g}", "–"] + cells + [status]


def peer_section(directory, threads):
    summary = os.path.join(directory, "peers-summary.csv")
    if not os.path.exists(summary):
        return [f"Peers, {threads} thread(s): not measured (no {summary})", ""]
    t = peers(summary)
    rows = [
        ratio_row(t, "connclose", "conn_per_s", "haproxy", 1.10, label="new connections/s"),
        ratio_row(t, "connclose", "conn_per_s", "nginx", 1.0, label="new connections/s, vs nginx"),
        ratio_row(t, "connclose", "conn_per_s", "pen", 1.0, label="new connections/s, vs pen"),
        ratio_row(t, "keepalive", "req_per_s", "haproxy", 1.30, label="keep-alive req/s"),
        ratio_row(t, "keepalive", "req_per_s", "pen", 1.0, label="keep-alive req/s, vs pen"),
    ]
    for mode in ("keepalive", "connclose"):
        for level in ("50", "80"):
            for metric, name in (("p99_ms", "p99"), ("p999_ms", "p99.9")):
                rows.append(ratio_row(t, f"latency_{mode}_{level}", metric, "haproxy", 1.0, better_high=False,
                                      label=f"corrected {name} ms, {mode} at {level} %"))
    rows += [
        ratio_row(t, "bulk1m", "mb_per_s", "haproxy", 1.30, label="1 MiB GETs MB/s"),
        ratio_row(t, "iperf3", "gbit_per_s", "haproxy", 1.30, label="iperf3 Gbit/s"),
        ratio_row(t, "iperf3", "cpu_s_per_gb", "haproxy", 0.5, better_high=False, label="CPU s per GB"),
        ratio_row(t, "bulk1m", "mb_per_s", "haproxy-splice-always", 1.0,
                  label="1 MiB GETs, vs HAProxy splicing (reported)"),
        ratio_row(t, "iperf3", "cpu_s_per_gb", "haproxy-splice-always", 1.0, better_high=False,
                  label="CPU s per GB, vs HAProxy splicing (reported)"),
        ratio_row(t, "idle", "kb_per_conn", "haproxy", 1.0, better_high=False, label="KiB RSS per idle connection"),
        absolute_row(t, "idle", "kb_per_conn", 3.3, "KiB RSS per idle connection"),
        absolute_row(t, "idle", "rss_base_mib", 64, "MiB RSS, fresh idle process"),
    ]
    head = ["target", "wanted", "reference"] + [x.removeprefix("lbd-") for x in LBD] + ["status"]
    lines = [f"### Peers, {threads} thread(s) per proxy (`{directory}`)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]


DR_LINE = re.compile(r"^(\S+)\s+(\S+)\s+sent (\d+) delivered (\d+) in [\d.]+ s: (\d+) packets/s, ([\d.]+) Gbit/s")


def dr_section(path, receive="packet sockets"):
    """One row per traffic: the median over dr-bench's runs (each begins with a '#' line) of lbd's rate over the
    kernel's in the same run, with the runs' range; the packets/s shown are the medians of each column. Where a run
    measured the kernel again after lbd ("kernel-after"), the ratio is to the mean of the two, and a run whose two
    kernel rates differ by more than a sixth (the machine changed speed in between) is left out and counted."""
    if not os.path.exists(path):
        return [f"### DR end to end, {receive}", "", "not measured", ""]
    runs = []
    skipped = None
    with open(path) as f:
        for line in f:
            m = DR_LINE.match(line)
            if line.startswith("# ") or (m and not runs):
                runs.append({})
            if m:
                runs[-1][(m.group(1), m.group(2))] = (int(m.group(5)), float(m.group(6)))
            elif line.startswith("DR: skipped"):
                skipped = line.strip()
    if skipped:
        return [f"### DR end to end, {receive}", "", skipped, ""]
    runs = [r for r in runs if r]
    lines = [f"### DR end to end, {receive} (one DR worker; `{os.path.basename(path)}`, {len(runs)} run(s): medians, "
             f"each run's ratio to its own kernel runs)", "",
             "| traffic | kernel packets/s | lbd packets/s | × kernel (median) | × kernel (range) | wanted | status "
             "| AF_XDP floor × kernel (median) | runs left out |",
             "|---|---:|---:|---:|---|---|---|---:|---|"]
    for mode, lbd_mode, want in (("ack", "ack", 1.0), ("syn", "syn", 0.8), ("bulk", "bulk", 1.0),
                                 ("ack", "ipip", None), ("bulk", "ipip-bulk", None)):
        kept, left_out = [], 0
        for r in runs:
            if (mode, "kernel") not in r or (lbd_mode, "lbd") not in r or r[(mode, "kernel")][0] <= 0:
                continue
            kernel = r[(mode, "kernel")][0]
            after = r.get((mode, "kernel-after"), (None,))[0]
            if after:
                if abs(kernel - after) > (kernel + after) / 2 / 6:
                    left_out += 1
                    continue
                kernel = (kernel + after) / 2
            floor = r.get((lbd_mode, "xdp-floor"), (None,))[0]
            kept.append((kernel, r[(lbd_mode, "lbd")][0], floor))
        if not kept:
            continue
        ratios = [ours / kernel for kernel, ours, _ in kept]
        r = statistics.median(ratios)
        kernel = round(statistics.median(k for k, _, _ in kept))
        ours = round(statistics.median(o for _, o, _ in kept))
        status = "reported" if want is None else ("met" if r >= want else "missed")
        floors = [fl / k for k, _, fl in kept if fl]  # dr-bench --xdp-floor: the C forwarder on AF_XDP (gate only)
        floor_cell = f"{statistics.median(floors):.2f}" if floors else "–"
        lines.append(f"| {lbd_mode} | {kernel:,} | {ours:,} | {r:.2f} | {min(ratios):.2f}–{max(ratios):.2f} | "
                     f"{'–' if want is None else f'≥ {want:g}'} | {status} | {floor_cell} | {left_out} |")
    return lines + [""]


HEALTH_LBD = re.compile(r"health monitor ([\d.]+)% of one core \(([\d.]+) µs CPU per check\)")
HEALTH_FLOOR = re.compile(r"prober CPU ([\d.]+)% of one core: user ([\d.]+) us/check, kernel ([\d.]+) us/check")


def health_section(path):
    if not os.path.exists(path):
        return ["### Health checks", "", "not measured", ""]
    found = {}
    current = None
    with open(path) as f:
        for line in f:
            if line.startswith("# round"):
                _, _, _, kind, who = line.split()
                current = (kind, who)
                continue
            m = HEALTH_LBD.search(line)
            if m and current:
                found.setdefault(current, []).append(float(m.group(2)))
            m = HEALTH_FLOOR.search(line)
            if m and current:
                found.setdefault(current, []).append(float(m.group(2)) + float(m.group(3)))
    lines = ["### Health checks, 10,000 real servers, checkinterval 1 s (`health.txt`)", "",
             "| check | lbd µs CPU per check | C floor µs per check | above the floor | wanted | status |",
             "|---|---:|---:|---:|---|---|"]
    for kind, want in (("connect", 0.10), ("http", None)):
        ours, floor = found.get((kind, "lbd")), found.get((kind, "floor"))
        if not ours or not floor:
            lines.append(f"| {kind} | – | – | – | – | not measured |")
            continue
        o, fl = statistics.median(ours), statistics.median(floor)
        above = (o - fl) / fl
        status = "reported" if want is None else ("met" if above <= want else "missed")
        lines.append(f"| {kind} | {o:.1f} | {fl:.1f} | {above * 100:+.0f} % | "
                     f"{'–' if want is None else f'≤ +{want * 100:.0f} %'} | {status} |")
    return lines + [""]


def main():
    directory = sys.argv[1]
    out = ["# Performance targets", ""]
    env = os.path.join(directory, "env.txt")
    if os.path.exists(env):
        with open(env) as f:
            out += [line.rstrip() + "  " for line in f] + [""]
    threads = sorted(int(d.rsplit("-", 1)[1]) for d in os.listdir(directory) if d.startswith("peers-threads-")
                     and os.path.isdir(os.path.join(directory, d)))
    for n in threads:
        out += peer_section(os.path.join(directory, f"peers-threads-{n}"), n)
    out += dr_section(os.path.join(directory, "dr.txt"))
    if os.path.exists(os.path.join(directory, "dr-xdp.txt")):
        out += dr_section(os.path.join(directory, "dr-xdp.txt"), "xdp=yes (AF_XDP)")
    out += health_section(os.path.join(directory, "health.txt"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
