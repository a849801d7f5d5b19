# Interrupt latency on Lab 3's three paths, from bench_irq -o
# (slides/data/irq-latency.csv; columns path, p10_us, median_us, p90_us,
# exits): the box is the median, the bar spans the 10th to the 90th
# percentile. Log scale: the tails differ by orders of magnitude.
set terminal svg size 820,330 dynamic font "DejaVu Sans,20" background rgb "#fdfdfb"
set datafile separator ","
set key autotitle columnhead
set style fill solid 0.85 border -1
set boxwidth 0.55
set ylabel "raise -> handler (µs)"
set logscale y
set yrange [5:50000]
set grid ytics
set border 3
set xtics nomirror
set ytics nomirror
unset key
plot data using 0:3:2:4:(0.275):xtic(1) with boxerrorbars lc rgb "#0b4f8a", \
     '' using ($0+0.3):3:(sprintf("%.0f µs\n%.0f exits", $3, $5)) with labels left font ",15"
