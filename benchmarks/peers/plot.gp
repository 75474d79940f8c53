# gnuplot script for compare.sh: four panels, median bars with min-max error bars, one bar per target.
# Call: gnuplot -e "dir='RESULTS_DIR'; out='FILE.png'; subtitle='TEXT'" plot.gp
set terminal pngcairo size 1400,900 font ",11" noenhanced
set output out
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30 nomirror
set key off
set yrange [0:*]
set multiplot layout 2,2 title "lbd vs HAProxy vs nginx stream, loopback, 1 worker thread each (".subtitle.")"
set title "keep-alive HTTP, requests/s (higher is better)"
plot dir."/peers-plot-keepalive-req_per_s.dat" using 2:3:4:xtic(1) lc rgb "#4477aa"
set title "keep-alive HTTP, p99 latency ms, wrk, NOT CO-corrected (lower is better)"
plot dir."/peers-plot-keepalive-p99_ms.dat" using 2:3:4:xtic(1) lc rgb "#ee6677"
set title "1 MiB GETs, MB/s (higher is better)"
plot dir."/peers-plot-bulk1m-mb_per_s.dat" using 2:3:4:xtic(1) lc rgb "#228833"
set title "iperf3 through the proxy, Gbit/s (higher is better)"
plot dir."/peers-plot-iperf3-gbit_per_s.dat" using 2:3:4:xtic(1) lc rgb "#ccbb44"
unset multiplot
