#!/bin/sh
# migrate-runs.sh [BUILD] - live-migrate the counter guest at three dirty
# rates and keep each run's numbers as bench/migrate/<rate>.csv, the CSVs
# bench/migrate.gp plots (pages sent per round). Run it by hand on the
# machine the figures should describe, then check the CSVs in: each one
# names the machine and the KVM backend in its first line.
#
# The rates are migrate-counter's levels (examples/migrate-counter.c):
# low 1, medium 2, unbounded 4 (its loop at ring 3). The live rounds are
# capped at $BW MiB/s (mvm run --migrate-bandwidth), a link slower than
# the fast guests dirty memory: low converges, the others stop making
# progress and go to stop-and-copy with what is left.
set -eu
build=${1:-build}
bw=${BW:-16}
port=${PORT:-7399}
out=bench/migrate
guest=$build/examples/migrate-counter.elf

run() { # name level length
	timeout 120 "$build/mvm" restore --listen "127.0.0.1:$port" \
		</dev/null >/dev/null 2>"$out/$1.target.log" &
	target=$!
	sleep 0.5
	printf '%s%s' "$2" "$3" | timeout 120 "$build/mvm" run \
		--migrate-to "127.0.0.1:$port" --migrate-after 1 \
		--migrate-bandwidth "$bw" --migrate-csv "$out/$1.csv" \
		"$guest" >/dev/null
	# Only the numbers matter here: the target's run is not waited for
	# (tests/kvm/test_migrate*.c check that it continues correctly).
	kill "$target" 2>/dev/null || true
	wait "$target" || true
	rm -f "$out/$1.target.log"
}

run low 1 3
run medium 2 6
run unbounded 4 9
