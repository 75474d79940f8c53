# Bytes per request on the event loop from the JFR recording of run.sh (run in /tmp/alloc).
import json,subprocess,sys,datetime
t=sys.argv[1]
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--events','jdk.ThreadAllocationStatistics',f'{t}.jfr'],capture_output=True,text=True).stdout
ev=json.loads(out)['recording']['events']
pts=[]
for e in ev:
    v=e['values']
    if v['thread'] and v['thread']['javaName']=='lbd-nat-1-1':
        ts=datetime.datetime.fromisoformat(v['startTime'].replace('Z','+00:00')).timestamp()
        pts.append((ts,v['allocated']))
pts.sort()
def rate(a,b):
    sel=[p for p in pts if a<=p[0]<=b]
    (t0,a0),(t1,a1)=sel[0],sel[-1]
    return (a1-a0)/(t1-t0)
ka0=float(open(f'{t}.ka-start').read()); cc0=float(open(f'{t}.cc-start').read()); end=float(open(f'{t}.end').read())
def rps(f):
    for l in open(f):
        if l.startswith('Requests/sec'): return float(l.split()[1])
for name,a,b,f in (('keep-alive',ka0+1.5,cc0-0.5,f'{t}.ka.txt'),('conn-close',cc0+1.5,end-0.5,f'{t}.cc.txt')):
    r=rate(a,b); q=rps(f)
    print(f'{t} {name}: loop allocates {r/1e6:.1f} MB/s at {q:.0f} req/s = {r/q:.0f} B per request')
