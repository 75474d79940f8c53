#!/usr/bin/env python3
# hold.py PID PORT CONNS: fresh RSS (now, and after FRESHWAIT s), open CONNS idle connections, RSS once fds settle
# and after HOLDWAIT s more; FRESHCMD / HOLDCMD (shell, {pid}) run before each baseline / after.
import os, resource, socket, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "peers"))
import peerstat
pid, port, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
time.sleep(0.5)
f_early = peerstat.tree_stat(pid)[0]
time.sleep(float(os.environ.get('FRESHWAIT', '0')))
if os.environ.get('FRESHCMD'):
    subprocess.run(os.environ['FRESHCMD'].replace('{pid}', str(pid)), shell=True)
rss0, cpu0, fd0 = peerstat.tree_stat(pid)
socks = []
for _ in range(conns):
    s = socket.socket(); s.settimeout(5)
    try: s.connect(("127.0.0.1", port))
    except OSError: s.close(); break
    socks.append(s)
fds = peerstat.wait_stable_fds(pid, fd0 + 2 * len(socks), time.monotonic() + 30)
rss_early = peerstat.tree_stat(pid)[0]
time.sleep(float(os.environ.get('HOLDWAIT', '0')))
rss1 = peerstat.tree_stat(pid)[0]
if os.environ.get('HOLDCMD'):
    subprocess.run(os.environ['HOLDCMD'].replace('{pid}', str(pid)), shell=True)
n = max(1, len(socks))
print(f"fresh={f_early/1024:.1f}MiB fresh_settled={rss0/1024:.1f}MiB conns={len(socks)} per_conn={(rss_early-rss0)/n:.2f}KiB per_conn_settled={(rss1-rss0)/n:.2f}KiB")
for s in socks: s.close()
