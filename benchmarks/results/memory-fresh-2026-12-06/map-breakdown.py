# Sums the RSS of `jcmd PID System.map` (native memory tracking on) by what it is.
import sys, collections
CATS = ('CARDTBL','CDS','CLASS','CODE','GC','INTERN','JAVAHEAP','JDK','META','POLL','STACK','TEST')
for f in sys.argv[1:]:
    tot = collections.Counter()
    for line in open(f):
        if not line.startswith('0x'): continue
        parts = line.split(); rss = int(parts[3]); rest = parts[4:]
        info = next((p for p in rest if p in CATS), None)
        name = rest[-1] if rest[-1] != '-' else ''
        if info in ('META', 'CLASS'): k = 'metaspace + class space'
        elif info: k = {'JAVAHEAP': 'Java heap', 'CDS': 'CDS/AOT archive', 'CODE': 'code cache'}.get(info, 'other JVM (' + info + ')')
        elif name.endswith('libjvm.so'): k = 'libjvm.so'
        elif name == '[heap]' or not name: k = 'malloc arenas + thread stacks'
        else: k = 'other files (libc, modules, ...)'
        tot[k] += rss
    print(f, 'total %.1f MiB' % (sum(tot.values()) / 2**20))
    for k, v in tot.most_common():
        print('  %-34s %6.1f MiB' % (k, v / 2**20))
