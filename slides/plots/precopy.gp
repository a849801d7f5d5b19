# Pages sent per round of a pre-copy live migration for three guests
# (slides/data/precopy.csv, from scripts/precopy-csv.sh over
# bench/migrate/*.csv): a slow writer converges in two rounds, faster
# ones resend their working set every round until the round limit or
# "no progress" stops them; the key gives each run's downtime.
set terminal svg size 820,330 dynamic font "DejaVu Sans,20" background rgb "#fdfdfb"
set datafile separator ","
set datafile missing ""
set key autotitle columnhead inside right bottom font ",16"
set ylabel "pages sent"
set xlabel "round (last: stop-and-copy)"
set logscale y
set yrange [10:20000]
set xtics 1
set xrange [-0.2:4.2]
set grid ytics
set border 3
set xtics nomirror
set ytics nomirror
plot for [c=2:4] data using 1:c with linespoints lw 3 pt 7 ps 1.2
