# gnuplot script for compare.sh: one panel per measured metric, median bars with min-max error bars, one bar
# per target; a workload left out of the run (no data file) leaves its panel out.
# Call: gnuplot -e "dir='RESULTS_DIR'; out='FILE.png'; subtitle='TEXT'" plot.gp
set terminal pngcairo size 1500,900 font ",11" noenhanced
set output out
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set xtics rotate by -30 nomirror
set key off
set yrange [0:*]
files = "keepalive-req_per_s keepalive-p99_ms connclose-conn_per_s bulk1m-mb_per_s iperf3-gbit_per_s idle-kb_per_conn"
titles = "'keep-alive HTTP, requests/s (higher is better)' \
'keep-alive HTTP, p99 ms, wrk, NOT CO-corrected (lower is better)' \
'new TCP connection per request, conn/s (higher is better)' \
'1 MiB GETs, MB/s (higher is better)' \
'iperf3 through the proxy, Gbit/s (higher is better)' \
'RSS KiB per idle connection (lower is better)'"
colours = "#4477aa #ee6677 #aa3377 #228833 #ccbb44 #66ccee"
set multiplot layout 2,3 title "lbd vs HAProxy vs nginx stream, loopback, 1 worker thread each (".subtitle.")"
do for [i=1:words(files)] {
    f = dir."/peers-plot-".word(files, i).".dat"
    if (system("test -s '".f."' && echo 1 || echo 0") eq "1") {
        set title word(titles, i)
        plot f using 2:3:4:xtic(1) lc rgb word(colours, i)
    }
}
unset multiplot
