#!/bin/sh
# make-handout.sh LAB OUT - write the student tree for lab LAB to OUT.
#
# Run from the reference tree (the top Makefile's `make handout LAB=n
# OUT=dir` calls it). The handout is a copy of the tree without .git,
# build output and the guides of later labs, in which every solution
# region (see scripts/labcut.awk and labs/README.md) of lab LAB and of
# every later lab is replaced by its stub, and the regions of earlier
# labs keep their reference solution with the markers removed.
#
# Afterwards two checks run on the result and abort the handout if they
# fail: no lab marker is left in any source file, and no line that was
# cut out (40 characters or longer) appears anywhere else in the
# handout's .c/.S files, so a solution duplicated outside its region
# cannot leak. (Lines the stubs repeat on purpose, such as a function's
# signature, and the public headers are not leaks.)
set -eu

die() {
	echo "make-handout: $*" >&2
	exit 2
}

[ $# -eq 2 ] || die "usage: make-handout.sh LAB OUT"
lab=$1
out=$2
case "$lab" in
'' | *[!0-9]*) die "LAB must be a lab number such as 1, not '$lab'" ;;
esac
lab=$((lab + 0))
[ -f labs/build.mk ] && [ -f scripts/labcut.awk ] ||
	die "run from the top of the minivmm reference tree"
[ ! -f labs/HANDOUT ] ||
	die "this tree is itself a handout ($(cat labs/HANDOUT)); handouts are made from the reference tree"
labdir=$(ls -d labs/lab"$lab"-* 2>/dev/null | head -n 1)
if [ -z "$labdir" ]; then
	have=$(ls -d labs/lab[0-9]*-* 2>/dev/null | sed 's|labs/||' | tr '\n' ' ' | sed 's/ $//')
	die "lab $lab does not exist (labs here: ${have:-none})"
fi
case "$out" in
'' | / | .) die "OUT must name a new directory" ;;
esac
# A handout inside the reference tree would be copied into the next one.
mkdir -p "$(dirname "$out")" || die "cannot create the parent of $out"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
case "$abs_out/" in
"$(pwd)/build/"* | "$(pwd)/handouts/"*) ;;
"$(pwd)/"*) die "$out is inside the reference tree; use a directory outside it, or handouts/ or build/" ;;
esac
if [ -e "$out" ]; then
	[ -d "$out" ] || die "$out exists and is not a directory"
	if [ -n "$(ls -A "$out")" ] && [ ! -f "$out/labs/HANDOUT" ]; then
		die "$out exists, is not empty and is not an earlier handout; refusing to overwrite it"
	fi
	rm -rf "$out"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The files to copy: what git tracks plus new files it does not ignore
# (so an instructor can cut a handout before committing), or every file
# outside build/ when the tree is not a git checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard >"$tmp/all"
else
	find . -type f ! -path './build/*' ! -path './.git/*' |
		sed 's|^\./||' >"$tmp/all"
fi
# Later labs are not handed out yet: drop their directories.
awk -v lab="$lab" '
	/^labs\/lab[0-9]+-/ { n = substr($0, 9) + 0; if (n > lab) next }
	/^(build|handouts)\// { next }
	{ print }' "$tmp/all" | while IFS= read -r f; do
	[ -f "$f" ] && printf '%s\n' "$f"
done >"$tmp/files"

mkdir -p "$out"
tar -cf - -T "$tmp/files" | tar -xf - -C "$out"

# Cut the regions in every C/asm source that has one.
: >"$tmp/dropped"
: >"$tmp/regions"
: >"$tmp/stubs"
grep -E '\.(c|h|S)$' "$tmp/files" | while IFS= read -r f; do
	grep -q 'LAB([0-9]*' "$f" || continue
	awk -v lab="$lab" -v dropped="$tmp/dropped" -v regions="$tmp/regions" \
		-v stubs="$tmp/stubs" -f scripts/labcut.awk "$f" >"$tmp/cut" ||
		{ rm -rf "$out"; die "cannot cut $f (see the error above)"; }
	cat "$tmp/cut" >"$out/$f"
	printf '%s\n' "$f" >>"$tmp/changed"
done || exit 2

# Stubs were written to read well in the reference; reformat them in
# place so the handout passes `make format-check` too.
if [ -s "$tmp/changed" ] 2>/dev/null && command -v clang-format >/dev/null; then
	(cd "$out" && xargs clang-format -i <"$tmp/changed")
fi

# Check 1: no marker survives.
if (cd "$out" && grep -rnE --include='*.[chS]' \
	'LAB\([0-9]+(, *[A-Za-z0-9_-]+)?\) (BEGIN|STUB|END)' .); then
	rm -rf "$out"
	die "lab markers left in the handout (above)"
fi
# Check 2: no long cut line appears elsewhere in the handout.
sed 's/^[ 	]*//; s/[ 	]*$//' "$tmp/stubs" | sort -u >"$tmp/stubs.sorted"
awk '{ t = $0; sub(/^[^\t]*\t[^\t]*\t/, "", t)
	gsub(/^[ \t]+|[ \t]+$/, "", t)
	if (length(t) >= 40) print t }' "$tmp/dropped" | sort -u |
	comm -23 - "$tmp/stubs.sorted" >"$tmp/long"
if [ -s "$tmp/long" ] && (cd "$out" && grep -rnF --include='*.c' \
	--include='*.S' -f "$tmp/long" . >"$tmp/leaks"); then
	cat "$tmp/leaks" >&2
	rm -rf "$out"
	die "solution lines of lab >= $lab appear outside their region (above): rephrase or move them into the region"
fi

# What the handout is, and which files each lab's regions are in (for
# scripts/lab-carry.sh when a student moves on to the next lab).
echo "lab $lab handout ($(basename "$labdir")), made $(date -u +%Y-%m-%d)" \
	>"$out/labs/HANDOUT"
sort -u "$tmp/regions" | sort -s -n -k1,1 >"$out/labs/REGIONS"
n=$(wc -l <"$tmp/regions")
echo "make-handout: lab $lab handout in $out ($(wc -l <"$tmp/files") files, $n solution regions cut or kept)"
