# migrate.gp - pages sent per round of a pre-copy live migration, one
# line per dirty rate (bench/migrate/*.csv, written by
# bench/migrate-runs.sh through mvm run --migrate-csv).
#
#   gnuplot -e "dir='bench/migrate'; out='rounds.svg'" bench/migrate.gp
#
# A guest that dirties memory slower than the link sends it converges:
# each round is smaller, and stop-and-copy sends little. One that
# dirties faster does not: every round resends its whole working set,
# the rounds stop shrinking and stop-and-copy sends all of it (the
# downtime in each key). The title names the machine and the KVM
# backend, from the CSVs' first comment line.

if (!exists("dir")) dir = "bench/migrate"
if (!exists("out")) out = "migrate-rounds.svg"

meta(f, n) = system(sprintf("sed -n '%dp' '%s/%s.csv' | cut -c3-", n, dir, f))
downtime(f) = system(sprintf("sed -n '3p' '%s/%s.csv' | awk '{print $5}'", dir, f))
stopped(f) = system(sprintf("sed -n '3p' '%s/%s.csv' | sed 's/.*stop //'", dir, f))
key(f) = sprintf("%s: %s, downtime %s ms", f, stopped(f), downtime(f))

set terminal svg size 800,480 dynamic font "sans,11" noenhanced
set output out
set datafile separator ","
set title sprintf("Pre-copy live migration: pages sent per round\n%s\n%s", meta("low", 1), meta("low", 2))
set xlabel "round (the last one is stop-and-copy, guest paused)"
set ylabel "pages sent (4 KiB)"
set logscale y
set yrange [10:*]
set xtics 1
set grid
set key right center box opaque
plot for [f in "low medium unbounded"] \
	sprintf("%s/%s.csv", dir, f) every ::1 using 1:3 \
	with linespoints lw 2 pt 7 title key(f)
