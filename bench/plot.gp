# plot.gp: the benchmark's plots, from the .dat files ipcbench writes.
#   gnuplot -e "dir='results/bench'" plot.gp
# For each placement (same, cross, none): latency-P.{png,svg} and
# throughput-P.{png,svg}, log-log, one line per mechanism with the spread of
# the repetitions as error bars, and the machine's limits in dashed black.
if (!exists("dir")) dir = "."
set datafile missing "?"
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key outside right top spacing 1.1 font ",9"
set xlabel "message size (bytes)"
set format x "%.0s%cB"
set xtics ("64B" 64, "256B" 256, "1KiB" 1024, "4KiB" 4096, "16KiB" 16384, "64KiB" 65536, "256KiB" 262144, "1MiB" 1048576)
set style data yerrorlines
set pointsize 0.7
set xrange [40:1700000]
# eleven mechanisms: eleven colours, and a point type each
array C[12] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000080", "#800000"]
do for [i = 1:12] { set linetype i lc rgb C[i] lw 1.5 pt (i % 13) + 1 }

array PL[3] = ["same", "cross", "none"]
array PD[3] = ["both processes on one CPU", "one CPU each", "unpinned"]

do for [p = 1:3] {
    lat = sprintf("%s/latency-%s.dat", dir, PL[p])
    thr = sprintf("%s/throughput-%s.dat", dir, PL[p])
    if (system(sprintf("test -s '%s' && echo y", lat)) eq "y") {
        nm = (int(system(sprintf("head -n 1 '%s' | wc -w", lat))) - 3) / 3            # size, 3 per mechanism, 2 limits
        do for [fmt in "png svg"] {
            if (fmt eq "png") { set terminal pngcairo size 1000,620 font ",10" } else { set terminal svg size 1000,620 font "sans,10" }
            set output sprintf("%s/latency-%s.%s", dir, PL[p], fmt)
            set title sprintf("round-trip latency, median (bars: lowest and highest repetition) - %s", PD[p])
            set ylabel "round trip (us)"
            plot for [i = 0:nm-1] lat using 1:(column(2+3*i)):(column(3+3*i)):(column(4+3*i)) \
                     title columnhead(2+3*i) lw 1.5, \
                 lat using 1:(column(2+3*nm)) with lines dt 2 lw 2 lc rgb "black" title "futex wake-up RTT (no data)", \
                 lat using 1:(column(3+3*nm)) with lines dt 3 lw 2 lc rgb "black" title "4 x memcpy(size)"
            set output
        }
        nm = (int(system(sprintf("head -n 1 '%s' | wc -w", thr))) - 2) / 3            # size, 3 per mechanism, memcpy
        do for [fmt in "png svg"] {
            if (fmt eq "png") { set terminal pngcairo size 1000,620 font ",10" } else { set terminal svg size 1000,620 font "sans,10" }
            set output sprintf("%s/throughput-%s.%s", dir, PL[p], fmt)
            set title sprintf("one-way throughput, median (bars: lowest and highest repetition) - %s", PD[p])
            set ylabel "MB/s (10^6 bytes/s)"
            plot for [i = 0:nm-1] thr using 1:(column(2+3*i)):(column(3+3*i)):(column(4+3*i)) \
                     title columnhead(2+3*i) lw 1.5, \
                 thr using 1:(column(2+3*nm)) with lines dt 2 lw 2.5 lc rgb "black" title "memcpy (one copy)"
            set output
        }
    }
}
