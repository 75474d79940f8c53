#!/usr/bin/env python3
"""perfcat.py PERF_SCRIPT_OUTPUT|- [COMM] (perf script -F comm,tid,ip,sym,dso): event-loop samples grouped by what they do (syscall / io_uring op / user)."""
import sys, re, collections
path = sys.argv[1]; comm = sys.argv[2] if len(sys.argv) > 2 else None
cats = collections.Counter(); total = 0
URING = ('io_connect', 'io_recv', 'io_send', 'io_sendmsg', 'io_writev', 'io_write', 'io_read', 'io_close', 'io_accept', 'io_poll_add',
         'io_async_cancel', 'io_timeout', 'io_shutdown', 'io_recvmsg')
def classify(frames):
    # frames: list of (sym, dso), leaf first
    leaf_sym, leaf_dso = frames[0]
    kernel = 'kernel' in leaf_dso
    if not kernel:
        if 'libjvm' in leaf_dso: return 'user: JVM (libjvm)'
        if 'JIT' in leaf_dso or 'perf-' in leaf_dso or leaf_dso.startswith('[unknown'): return 'user: Java (JIT/interpreter)'
        if 'netty' in leaf_dso: return 'user: Netty JNI'
        return 'user: ' + leaf_dso.split('/')[-1]
    syms = [s for s, d in frames]
    for s in syms:
        if s in URING: return 'kernel: io_uring ' + s[3:]
        if s.startswith('io_poll_task_func') or s == 'io_poll_wake': return 'kernel: io_uring poll wake/task'
    for s, d in frames:
        if 'kernel' not in d:
            m = re.sub(r'^(__GI___|__libc_|__)', '', s.split('(')[0])
            if m in ('syscall',): return 'kernel: io_uring_enter (other)'
            return 'kernel: syscall ' + m
    if any('softirq' in s or 'net_rx_action' in s for s in syms): return 'kernel: softirq (no user frame)'
    if any('schedule' in s for s in syms): return 'kernel: schedule'
    return 'kernel: other (' + syms[-1] + ')'
with (sys.stdin if path == '-' else open(path, errors='replace')) as f:
    head = None; frames = []
    for line in f:
        line = line.rstrip('\n')
        if not line.strip():
            if head is not None and frames and (comm is None or head.startswith(comm)):
                cats[classify(frames)] += 1; total += 1
            head = None; frames = []
            continue
        if head is None:
            head = line.strip(); continue
        m = re.match(r'\s*[0-9a-f]+\s+(.*)\s+\((.*)\)$', line)
        if m: frames.append((m.group(1).split('+0x')[0].strip(), m.group(2)))
for c, n in cats.most_common(40):
    print(f'{100*n/total:6.1f} %  {c}')
print(f'{total} samples')
