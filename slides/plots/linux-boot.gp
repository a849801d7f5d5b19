# One Linux boot on mvm, QEMU/KVM and QEMU/TCG: seconds from starting the
# VMM to each milestone, from `make bench-linux` (slides/data/
# linux-boot.csv; columns milestone, mvm_s, mvm_exits, qemu_kvm_s,
# qemu_tcg_s; an empty field: that VMM never got there). build.mjs passes
# data. Log scale: the VMMs differ by orders of magnitude where ring-0
# code is emulated. Horizontal bars, milestones top to bottom in boot
# order; each bar is labelled with its seconds (and mvm's with its exits).
set terminal svg size 900,380 dynamic font "DejaVu Sans,18" background rgb "#fdfdfb"
set datafile separator ","
set datafile missing ""
set key autotitle columnhead
set key outside top center horizontal reverse Left font ",16"
set style fill solid 0.85 border -1
set logscale x
set xrange [0.1:2000]
set xlabel "seconds from starting the VMM (log scale)"
set yrange [5.6:-0.6]
set grid xtics
set border 3
set xtics nomirror
set ytics nomirror scale 0
h = 0.12
plot data using (0.1):($0):(0.1):2:($0-0.28-h):($0-0.28+h):ytic(1) \
          with boxxyerror lc rgb "#0b4f8a" title "mvm", \
     '' using 2:($0-0.28):(sprintf(" %.1f s, %d exits", $2, $3)) \
          with labels left font ",14" notitle, \
     '' using (0.1):($0):(0.1):4:($0-h):($0+h) \
          with boxxyerror lc rgb "#9a3412" title "QEMU/KVM", \
     '' using 4:($0):(sprintf(" %.1f s", $4)) \
          with labels left font ",14" notitle, \
     '' using (0.1):($0):(0.1):5:($0+0.28-h):($0+0.28+h) \
          with boxxyerror lc rgb "#4d7c0f" title "QEMU/TCG", \
     '' using 5:($0+0.28):(sprintf(" %.2f s", $5)) \
          with labels left font ",14" notitle
