# What one exit costs, by where it is handled, from Lab 1's measurement
# tool (slides/data/exit-cost.csv; columns kind, ns: the loop's own time
# subtracted). build.mjs passes data, label and out.
set terminal svg size 820,330 dynamic font "DejaVu Sans,20" background rgb "#fdfdfb"
set datafile separator ","
set key autotitle columnhead
set style fill solid 0.85 border -1
set boxwidth 0.55
set ylabel "µs per exit"
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
set grid ytics
set border 3
set xtics nomirror
set ytics nomirror
unset key
plot data using 0:($2/1000):xtic(1) with boxes lc rgb "#9a3412", \
     '' using 0:($2/1000):(sprintf("%.1f µs", $2/1000)) with labels offset 0,1
