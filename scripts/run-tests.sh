#!/bin/sh
# run-tests.sh BIN... - run cmocka test programs, then print one summary.
#
# Each program prints cmocka's usual report. We add up the [       OK ],
# [  FAILED  ] and [  SKIPPED ] lines so `make test` ends with one line a
# student can read, and exit non-zero if any program failed or crashed.
#
# A program that fails is run once more. If it then passes, the first
# run's failures are listed as FLAKY at the end and do not fail the run:
# a flaky test is a defect to fix (it says which), but one unlucky
# scheduling on a loaded machine must not hide every other result. A
# program that fails twice fails the run; the failed tests are listed
# again at the end, where a CI log's tail shows them.
set -u
pass=0 fail=0 skip=0 crashed="" failed="" flaky=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# counts LOG: "pass fail skip" of one program's report. cmocka repeats
# failed and skipped names in a summary after "[==========] N test(s)
# run."; count each test once, before it.
counts() {
	awk '
		/^\[==========\] Running/ { summary = 0 }
		/^\[==========\] .* run\.$/ { summary = 1 }
		summary { next }
		/^\[       OK \]/ { p++ }
		/^\[  FAILED  \]/ { f++ }
		/^\[  SKIPPED \]/ { s++ }
		END { printf "%d %d %d", p, f, s }' "$1"
}

# failures LOG: the names of the tests that failed, on one line.
failures() {
	awk '/^\[==========\] .* run\.$/ { exit }
		/^\[  FAILED  \]/ { printf " %s", $NF }' "$1"
}

for t in "$@"; do
	echo "==> $t"
	CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	if [ "$rc" -ne 0 ]; then
		first=$(failures "$log")
		echo "==> $t failed (rc=$rc:${first:- no test failed}); running it once more"
		CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		if [ "$rc" -eq 0 ]; then
			flaky="$flaky
  $t:${first:- exited with an error}"
		fi
	fi
	c=$(counts "$log")
	p=${c%% *} rest=${c#* }
	f=${rest%% *} s=${rest#* }
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" -ne 0 ]; then
		failed="$failed
  $t:$(failures "$log")"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		crashed="$crashed $t(rc=$rc)"
	fi
done
echo "==================================================================="
if [ -n "$flaky" ]; then
	echo "FLAKY (failed, then passed when run again; fix these tests):$flaky"
fi
if [ -n "$failed" ]; then
	echo "failed (twice):$failed"
fi
echo "tests: $pass passed, $fail failed, $skip skipped, programs: $#"
if [ -n "$crashed" ]; then
	echo "programs that exited abnormally:$crashed"
	exit 1
fi
[ "$fail" -eq 0 ]
