#!/bin/sh
# run-tests.sh BIN... - run cmocka test programs, then print one summary.
#
# Each program prints cmocka's usual report. We add up the [       OK ],
# [  FAILED  ] and [  SKIPPED ] lines so `make test` ends with one line a
# student can read, and exit non-zero if any program failed or crashed.
set -u
pass=0 fail=0 skip=0 crashed=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "==> $t"
	CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	# cmocka repeats failed and skipped names in a summary after
	# "[==========] N test(s) run."; count each test once, before it.
	counts=$(awk '
		/^\[==========\] Running/ { summary = 0 }
		/^\[==========\] .* run\.$/ { summary = 1 }
		summary { next }
		/^\[       OK \]/ { p++ }
		/^\[  FAILED  \]/ { f++ }
		/^\[  SKIPPED \]/ { s++ }
		END { printf "%d %d %d", p, f, s }' "$log")
	p=${counts%% *} rest=${counts#* }
	f=${rest%% *} s=${rest#* }
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		crashed="$crashed $t(rc=$rc)"
	fi
done
echo "==================================================================="
echo "tests: $pass passed, $fail failed, $skip skipped, programs: $#"
if [ -n "$crashed" ]; then
	echo "programs that exited abnormally:$crashed"
	exit 1
fi
[ "$fail" -eq 0 ]
