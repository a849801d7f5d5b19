# Start-up time of a process, a container and a minimal VM, from
# `mvm compare --csv` (slides/data/startup.csv; columns what, runs,
# median_us, min_us, max_us, peak_rss_kib). build.mjs passes data, label
# (the machine line of the CSV) and out (svg). Log scale: the three
# differ by orders of magnitude.
set terminal svg size 820,330 dynamic font "DejaVu Sans,20" background rgb "#fdfdfb"
set datafile separator ","
set key autotitle columnhead
set style fill solid 0.85 border -1
set boxwidth 0.55
set ylabel "median start-up (ms)"
set logscale y
set yrange [0.1:300]
set grid ytics
set border 3
set xtics nomirror
set ytics nomirror
unset key
plot data using 0:($3/1000):xtic(1) with boxes lc rgb "#0b4f8a", \
     '' using 0:($3/1000):(sprintf("%.1f ms", $3/1000)) with labels offset 0,1
