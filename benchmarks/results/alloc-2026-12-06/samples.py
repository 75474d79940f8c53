# The allocation samples of run.sh's recording on the event loop, by class and call site, in the keep-alive (ka)
# or new-connection (cc) window.
import json,subprocess,sys,datetime,collections
t=sys.argv[1]; window=sys.argv[2]
out=subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr','print','--json','--stack-depth','12','--events','jdk.ObjectAllocationSample',f'{t}.jfr'],capture_output=True,text=True).stdout
ev=json.loads(out)['recording']['events']
ka0=float(open(f'{t}.ka-start').read()); cc0=float(open(f'{t}.cc-start').read()); end=float(open(f'{t}.end').read())
a,b=(ka0+1.5,cc0-0.5) if window=='ka' else (cc0+1.5,end-0.5)
w=collections.Counter(); cls=collections.Counter()
for e in ev:
    v=e['values']
    if not v['eventThread'] or v['eventThread']['javaName']!='lbd-nat-1-1': continue
    ts=datetime.datetime.fromisoformat(v['startTime'].replace('Z','+00:00')).timestamp()
    if not (a<=ts<=b): continue
    frames=v['stackTrace']['frames'] if v['stackTrace'] else []
    names=[f["method"]["type"]["name"].split('.')[-1]+'.'+f["method"]["name"] for f in frames[:int(sys.argv[3]) if len(sys.argv)>3 else 6]]
    wt=v['weight']
    w[(v['objectClass']['name'],' < '.join(names))]+=wt
    cls[v['objectClass']['name']]+=wt
tot=sum(w.values())
print('total weight',tot)
for k,v in cls.most_common(10): print(f'{v/tot*100:5.1f}% {k}')
print()
for k,v in w.most_common(12): print(f'{v/tot*100:5.1f}% {k[0]}  {k[1]}')
