#!/bin/sh
# run.sh MODE SECONDS NAME... - run the libFuzzer harnesses (build.mk).
#
#   run.sh run 30 loader exit ...   fuzz each harness for 30 s from its
#                                   seed corpus, then print a table
#   run.sh corpus 0 loader exit ... run each seed input once (a quick
#                                   regression check of the corpus)
#
# Harness NAME is build/fuzz/fuzz_NAME; its seeds tests/fuzz/corpus/NAME/;
# inputs it finds go to build/fuzz/corpus/NAME/ and a crashing input to
# build/fuzz/crash/NAME-*. The table's numbers are libFuzzer's: execs
# (inputs run), cov (code edges reached) and ft (features: edges with hit
# counts and comparisons), read from its final "DONE" status line and
# -print_final_stats. Exits non-zero if any harness found a crash.
set -u
mode="$1" secs="$2"
shift 2
out=build/fuzz
mkdir -p "$out/crash" "$out/log"
failed=""
table=""
for n in "$@"; do
	bin="$out/fuzz_$n" seeds="tests/fuzz/corpus/$n" log="$out/log/$n-$mode.log"
	mkdir -p "$out/corpus/$n"
	if [ "$mode" = corpus ]; then
		echo "==> $n: $(ls "$seeds" | wc -l) seed inputs"
		"$bin" -runs=0 -artifact_prefix="$out/crash/$n-" "$seeds" \
			>"$log" 2>&1
	else
		echo "==> $n: ${secs}s"
		# -timeout: one input running 10 s is a hang (a crash too);
		# -rss_limit_mb: leave room for other jobs on the machine.
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
			-print_final_stats=1 -artifact_prefix="$out/crash/$n-" \
			"$out/corpus/$n" "$seeds" >"$log" 2>&1
	fi
	rc=$?
	done_line=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	[ -n "$execs" ] || execs=$(sed -nE 's/^Done ([0-9]+) runs.*/\1/p' "$log")
	cov=$(echo "$done_line" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
	ft=$(echo "$done_line" | sed -nE 's/.*ft: ([0-9]+).*/\1/p')
	corp=$(echo "$done_line" | sed -nE 's/.*corp: ([0-9]+).*/\1/p')
	status=ok
	if [ "$rc" -ne 0 ]; then
		status="CRASH (rc=$rc)"
		failed="$failed $n"
		grep -aE 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5
	fi
	table="$table$(printf '%-10s %12s %7s %7s %7s  %s' "$n" "${execs:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$status")
"
done
echo
printf '%-10s %12s %7s %7s %7s  %s\n' harness execs cov ft corpus status
printf '%s' "$table"
if [ -n "$failed" ]; then
	echo "fuzz: crash in:$failed (logs in $out/log/, inputs in $out/crash/)"
	exit 1
fi
echo "fuzz: $# harnesses, no crash"
