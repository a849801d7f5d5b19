#!/bin/sh
# precopy-csv.sh - deck 10's plot data from the live-migration CSVs
# (bench/migrate/{low,medium,unbounded}.csv, which bench/migrate-runs.sh
# writes): one row per round with each guest's pages, and the downtime
# and how each run ended in the header, for slides/plots/precopy.gp.
#
#   scripts/precopy-csv.sh > slides/data/precopy.csv
set -eu
cd "$(dirname "$0")/.."
d=bench/migrate
host=$(sed -n '1s/^# minivmm live migration, //p' $d/low.csv)
budget=$(sed -n '2s/^# //p' $d/low.csv)
echo "# $host; $budget"
printf 'round'
for f in low medium unbounded; do
	printf ',%s: %s ms downtime' "$f" \
		"$(sed -n '3p' $d/$f.csv | awk '{print $5}')"
done
echo
# Rounds as rows, one column per guest ("" where a run had fewer).
awk -F, '$1 ~ /^[0-9]+$/ { n[FILENAME] = $1; v[FILENAME, $1] = $3;
		if ($1 + 0 > max + 0) max = $1 + 0 }
	END { for (r = 0; r <= max; r++) {
		printf "%d", r
		for (i = 1; i < ARGC; i++)
			printf ",%s", ((ARGV[i], r) in v) ? v[ARGV[i], r] : ""
		printf "\n" } }' $d/low.csv $d/medium.csv $d/unbounded.csv
