#!/bin/sh
# slides-data.sh - re-measure the figures the lecture plots are drawn from,
# on this machine, into slides/data/*.csv (`make slides-data`; then
# `make slides`). Each CSV starts with a "# machine" line naming the CPU,
# kernel and KVM backend, which the slides print under the plot, so a
# student on VT-x is never shown another machine's numbers as theirs.
#
#   startup.csv    process vs container vs VM start-up (mvm compare)
#   exit-cost.csv  one exit handled in KVM vs in the VMM (Lab 1's
#                  lab1-measure; the loop's own cost subtracted)
#   irq-latency.csv  raise-to-handler latency on Lab 3's three paths
#                  (bench_irq)
#   disk.csv       4 KiB reads on the emulated disk and on virtio
#                  (bench_disk)
#   precopy.csv    pages per pre-copy round at three dirty rates, from
#                  bench/migrate/*.csv (re-measure those with
#                  bench/migrate-runs.sh first: it takes a few minutes)
#
# Not here, because each takes minutes: linux-boot.csv and linux-exits.csv
# (deck 4's Linux boot) come from `make bench-linux` (bench/bench_linux.c).
set -eu
cd "$(dirname "$0")/.."
out=slides/data
mkdir -p "$out"

build/mvm compare --runs 20 --csv "$out/startup.csv"

measure=$(build/labs/lab1-cpu-exits/lab1-measure)
val() { printf '%s\n' "$measure" | awk -v k="$1" '$1 == "result" && $2 == k { print $3 }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", a - b }'; }
loop=$(val loop_ns)
tmp="$out/exit-cost.csv.tmp"
{
	head -n 1 "$out/startup.csv"
	echo "kind,ns"
	echo "CPUID (KVM),$(minus "$(val cpuid_ns)" "$loop")"
	echo "ioeventfd OUT (KVM),$(minus "$(val ioeventfd_ns)" "$loop")"
	echo "OUT to the VMM,$(minus "$(val user_exit_ns)" "$loop")"
} > "$tmp"
mv "$tmp" "$out/exit-cost.csv"
build/bench/bench_irq -n 500 -o "$out/irq-latency.csv"
build/bench/bench_disk -o "$out/disk.csv" >/dev/null
scripts/precopy-csv.sh > "$out/precopy.csv"
echo "slides-data: wrote $out/startup.csv, exit-cost.csv, irq-latency.csv, disk.csv and precopy.csv"
