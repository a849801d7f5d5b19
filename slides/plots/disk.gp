# The same guest job (4 KiB sequential reads) on every disk path, from
# bench_disk -o (slides/data/disk.csv; columns path, exits, insns, us,
# mibs, speedup): bars are throughput in MiB/s, labels the VM exits per
# request. Log scale: the emulated disk is two orders of magnitude down.
set terminal svg size 820,330 dynamic font "DejaVu Sans,18" background rgb "#fdfdfb"
set datafile separator ","
set key autotitle columnhead
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel "MiB/s (4 KiB reads)"
set logscale y
set yrange [0.03:200]
set grid ytics
set border 3
set xtics nomirror font ",14"
set ytics nomirror
unset key
# "virtio-mmio kick exits" -> "virtio-mmio\nkick exits"
lab(s) = s[1:strstrt(s, " ") - 1] . "\n" . s[strstrt(s, " ") + 1:]
plot data using 0:5:xtic(lab(strcol(1))) with boxes lc rgb "#0b4f8a", \
     '' using 0:($5 * 1.6):(sprintf("%g exits", $2)) with labels font ",14"
