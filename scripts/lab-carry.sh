#!/bin/sh
# lab-carry.sh OLD NEW - carry a student's own work from an earlier
# handout (OLD) into the handout for the next lab (NEW).
#
# NEW/labs/REGIONS lists "lab<TAB>region<TAB>file" for every solution
# region; every file with a region of a lab earlier than NEW's lab is
# copied from OLD to NEW. The new tree's version is kept as FILE.handout
# so nothing is lost. See labs/README.md, "Moving on to the next lab".
set -eu

die() {
	echo "lab-carry: $*" >&2
	exit 2
}

[ $# -eq 2 ] || die "usage: lab-carry.sh OLD-TREE NEW-TREE"
old=$1 new=$2
[ -f "$new/labs/HANDOUT" ] && [ -f "$new/labs/REGIONS" ] ||
	die "$new is not a handout (no labs/HANDOUT and labs/REGIONS)"
[ -d "$old/libminivmm" ] || die "$old does not look like a minivmm tree"
lab=$(sed -n 's/^lab \([0-9]*\) handout.*/\1/p' "$new/labs/HANDOUT")
[ -n "$lab" ] || die "cannot read the lab number from $new/labs/HANDOUT"

n=0
for f in $(awk -F '\t' -v lab="$lab" '$1 + 0 < lab { print $3 }' \
	"$new/labs/REGIONS" | sort -u); do
	if [ ! -f "$old/$f" ]; then
		echo "lab-carry: $f is not in $old; keeping the new version"
		continue
	fi
	if cmp -s "$old/$f" "$new/$f"; then
		continue
	fi
	cp "$new/$f" "$new/$f.handout"
	cp "$old/$f" "$new/$f"
	echo "lab-carry: $f (new handout's version saved as $f.handout)"
	n=$((n + 1))
done
echo "lab-carry: $n file(s) carried over; now run 'make grade' in $new"
