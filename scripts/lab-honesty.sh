#!/bin/sh
# lab-honesty.sh N... - prove that the labs grade what they claim to.
#
# Run by `make test` (through `make lab-honesty`, labs/build.mk) from the
# reference tree, with the numbers of the labs that exist. It checks:
#   1. the reference tree scores full marks on every lab;
#   2. for each lab n, the handout for lab n builds with -Werror, scores
#      below full marks on lab n (its tests really exercise the code the
#      handout removed) and full marks on every earlier lab.
# A lab whose tests are skipped on this machine (no /dev/kvm, say) cannot
# show full marks; that is reported, loudly, and only failures count.
set -u
MAKE=${MAKE:-make}
# Each make below is a fresh top-level run: drop the caller's jobserver.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MAKE --no-print-directory "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

# field LOG LABNAME KEY: a number from the grade-summary line of a lab.
field() {
	sed -n "s/^grade-summary: lab=$2 .*$3=\([0-9]*\).*/\1/p" "$1" | head -n 1
}
labname() { basename "$(ls -d labs/lab"$1"-* | head -n 1)"; }

# expect LOG NAME full|low WHAT
expect() {
	score=$(field "$1" "$2" score) max=$(field "$1" "$2" max)
	nfail=$(field "$1" "$2" fail) nskip=$(field "$1" "$2" skip)
	if [ -z "$score" ]; then
		echo "honesty: FAIL $4: no score for $2 (grader did not finish):"
		tail -n 20 "$1" | sed 's/^/    /'
		bad=1
	elif [ "$3" = full ] && [ "$nfail" -ne 0 ]; then
		echo "honesty: FAIL $4: $2 scored $score/$max, expected full marks:"
		grep -A6 ' FAIL ' "$1" | sed 's/^/    /' | head -n 40
		bad=1
	elif [ "$3" = low ] && [ "$nfail" -eq 0 ]; then
		echo "honesty: FAIL $4: $2 scored $score/$max with the solutions cut out; its tests do not exercise the removed code"
		bad=1
	else
		msg="$score/$max"
		[ "$nskip" -ne 0 ] && msg="$msg ($nskip skipped here: full marks cannot be shown)"
		echo "honesty: ok   $4: $2 $msg"
	fi
}

if [ $# -eq 0 ]; then
	echo "honesty: no labs"
	exit 0
fi
echo "honesty: grading the reference tree"
mk grade >"$tmp/ref.log" 2>&1
for n in "$@"; do
	expect "$tmp/ref.log" "$(labname "$n")" full "reference"
done

for n in "$@"; do
	h="$tmp/lab$n"
	if ! scripts/make-handout.sh "$n" "$h" >"$tmp/h.log" 2>&1; then
		echo "honesty: FAIL handout $n could not be made:"
		sed 's/^/    /' "$tmp/h.log"
		bad=1
		continue
	fi
	if ! mk -C "$h" -j2 build-all lab-tests >"$tmp/b.log" 2>&1; then
		echo "honesty: FAIL handout $n does not build:"
		grep -E 'error|Error' "$tmp/b.log" | head -n 20 | sed 's/^/    /'
		bad=1
		continue
	fi
	for k in "$@"; do
		[ "$k" -le "$n" ] || continue
		mk -C "$h" grade LAB="$k" >"$tmp/g.log" 2>&1
		if [ "$k" -eq "$n" ]; then
			expect "$tmp/g.log" "$(labname "$k")" low "handout $n"
		else
			expect "$tmp/g.log" "$(labname "$k")" full "handout $n"
		fi
	done
	rm -rf "$h"
done
[ "$bad" -eq 0 ] && echo "honesty: all checks passed"
exit "$bad"
