#!/bin/sh
# lab-honesty.sh N... - prove that the labs grade what they claim to.
#
# Run by `make test` (through `make lab-honesty`, labs/build.mk) from the
# reference tree, with the numbers of the labs that exist. It checks:
#   1. the reference tree scores full marks on every lab;
#   2. for each lab n, the handout for lab n builds with -Werror -- the
#      library, the tools and every test program `make test` and `make
#      grade` build -- scores below full marks on lab n (its tests really
#      exercise the code the handout removed) and full marks on every
#      earlier lab;
#   3. the grader cannot be fooled: in the first handout, a constructor
#      that prints cmocka's pass lines for the test it is in, writes
#      token-less verdicts to every fd and calls _exit(0), plus a
#      measure.c that prints made-up results, earn nothing more than the
#      handout's own stubs -- through `make grade` (objcheck refuses it),
#      through the grader alone (the token) and through the Gradescope
#      script (labs/common/gradescope/run_autograder);
#   4. every region is graded: in a copy of the reference tree, each
#      solution region is cut alone (scripts/labcut.awk -v only=NAME) and
#      its lab must then score below full marks. A table of the scores
#      is printed. Lab 5's seccomp region is also replaced by a weak
#      filter (deny mount and unshare, allow the rest), which must earn
#      no more than the region cut out.
# A result that is not the expected one is graded again once: right the
# second time, it is printed as FLAKY (see regrade below) instead of
# failing the check; wrong twice, it fails. Failures and flaky results
# are printed again at the end.
# A lab whose tests are skipped on this machine (no /dev/kvm, say) cannot
# show full marks; that is reported, loudly, and only failures count.
#
# lab-honesty.sh --hangs N... (`make lab-hangs`, not part of `make test`:
# it takes a minute or two) puts an endless loop at the start of every
# region of a copy of the reference tree and requires each lab to grade
# to zero in under HANG_BUDGET seconds (default 120).
set -u
MAKE=${MAKE:-make}
# Each make below is a fresh top-level run: drop the caller's jobserver.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MAKE --no-print-directory "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
top=$(pwd)
t_start=$(date +%s)

# fail LINE: report a failed check; the lines piped in after it (what
# went wrong) are kept too, and everything is printed again at the end,
# where a CI log's tail shows it.
fail() {
	printf '%s\n' "$1" | tee -a "$tmp/fails"
	bad=1
}
detail() { sed 's/^/    /' | tee -a "$tmp/fails"; }

# A result that is wrong once is graded again, once. When the second run
# gives the expected result the first is reported as FLAKY (again at the
# end, with the tests that failed): a flaky test is a defect to fix -- a
# student's correct code would lose points now and then -- but it is not
# evidence that a lab grades the wrong thing, so it does not fail the
# check. A result that is wrong twice fails it.
flaky() {
	printf '%s\n' "$1" | tee -a "$tmp/flaky"
	sed 's/^/    /' | tee -a "$tmp/flaky"
}

# meets LOG LABNAME full|low: whether LOG shows the expected result.
meets() {
	m_score=$(field "$1" "$2" score) m_fail=$(field "$1" "$2" fail)
	[ -n "$m_score" ] || return 1
	if [ "$3" = full ]; then
		[ "$m_fail" -eq 0 ]
	else
		[ "$m_fail" -ne 0 ]
	fi
}

# regrade DIR N full|low LOG WHAT: LOG holds lab N's grading in DIR; when
# it is not the expected result, grade once more into LOG.
regrade() {
	rg_name=$(labname "$2")
	meets "$4" "$rg_name" "$3" && return 0
	cp "$4" "$tmp/first.log"
	mk -C "$1" grade LAB="$2" >"$4" 2>&1
	meets "$4" "$rg_name" "$3" || return 0
	if [ "$3" = full ]; then
		grep -A6 ' FAIL ' "$tmp/first.log" | head -n 20 |
			flaky "honesty: FLAKY $5: $rg_name failed a test once, then scored full marks:"
	else
		flaky "honesty: FLAKY $5: $rg_name scored full marks once with code cut out, then below:" </dev/null
	fi
}

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
		fail "honesty: FAIL $4: no score for $2 (grader did not finish):"
		tail -n 20 "$1" | detail
		bad=1
	elif [ "$3" = full ] && [ "$nfail" -ne 0 ]; then
		fail "honesty: FAIL $4: $2 scored $score/$max, expected full marks:"
		grep -A6 ' FAIL ' "$1" | head -n 40 | detail
		bad=1
	elif [ "$3" = low ] && [ "$nfail" -eq 0 ]; then
		fail "honesty: FAIL $4: $2 scored $score/$max with the solutions cut out; its tests do not exercise the removed code"
		bad=1
	else
		msg="$score/$max"
		[ "$nskip" -ne 0 ] && msg="$msg ($nskip skipped here: full marks cannot be shown)"
		echo "honesty: ok   $4: $2 $msg"
	fi
}

# A tree of ours shares the reference's root file system (Lab 5's tests
# run scripts in it), so no copy downloads busybox again.
share_rootfs() {
	if [ -d "$top/build/rootfs/bin" ] && [ ! -e "$1/build/rootfs" ]; then
		mkdir -p "$1/build"
		ln -s "$top/build/rootfs" "$1/build/rootfs"
	fi
}

# build_tree DIR: the library, tools, and every test program.
build_tree() {
	mk -C "$1" -j2 build-all lab-tests \
		$(mk -C "$1" -s print-test-programs) >"$tmp/b.log" 2>&1
}

# The attack of issue 17, added to a handout: see 3. above.
attack() {
	cat >>"$1/libminivmm/src/core/exit.c" <<'EOC'

/* honesty check: an attempt to fool the grader (never in a real tree) */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void forge_a_pass(void)
{
	char cmd[4096] = {0}, *name;
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, cmd, sizeof(cmd) - 1);

	if (n <= 0 || strcmp(cmd + strlen(cmd) + 1, "--run") != 0)
		return;
	name = cmd + strlen(cmd) + 7;
	for (int i = 0; i < 64; i++)
		dprintf(i, "PASS %032d\n", 0);
	printf("[ RUN      ] %s\n[       OK ] %s\n", name, name);
	printf("[==========] 1 test(s) run.\n[  PASSED  ] 1 test(s).\n");
	fflush(stdout);
	_exit(0);
}
EOC
	sed -i 's|^static void print_results(const struct results \*r, uint32_t n)$|&\n{\n\tprintf("result loop_ns 5\\nresult cpuid_ns 50\\nresult ioeventfd_ns 60\\nresult ioeventfd_signals %u\\nresult user_exit_ns 900\\nresult cpl0_ms 1\\nresult cpl3_ms 1\\n", n);\n}\nstatic void print_results_unused(const struct results *r, uint32_t n)|' \
		"$1/labs/lab1-cpu-exits/measure.c"
	sed -i 's|print_results(&res, (uint32_t)n);|print_results(\&res, (uint32_t)n);\n\t(void)print_results_unused;|' \
		"$1/labs/lab1-cpu-exits/measure.c"
}

# expect_no_gain LOG-or-SCORE HONEST WHAT
expect_no_gain() {
	if [ -z "$1" ] || [ "$1" -gt "$2" ]; then
		fail "honesty: FAIL $3: the attack scored ${1:-nothing} (the handout's stubs score $2)"
		bad=1
	else
		echo "honesty: ok   $3: the attack scored $1 (the stubs score $2)"
	fi
}

# check_attack HANDOUT LAB: 3. above.
check_attack() {
	h=$1 n=$2 name=$(labname "$2")
	honest=$(field "$tmp/g.log" "$name" score)
	a="$tmp/attack"
	rm -rf "$a"
	cp -a "$h" "$a"
	attack "$a"
	if ! build_tree "$a"; then
		fail "honesty: FAIL the attack tree does not build:"
		grep -E 'error' "$tmp/b.log" | head -n 10 | detail
		bad=1
		return
	fi
	mk -C "$a" grade LAB="$n" >"$tmp/a.log" 2>&1
	if ! grep -q "^objcheck: .*exit\.o).*section \.init_array" "$tmp/a.log"; then
		fail "honesty: FAIL objcheck did not name the constructor in exit.o"
		bad=1
	fi
	expect_no_gain "$(field "$tmp/a.log" "$name" score)" "$honest" \
		"make grade, constructor attack"
	(cd "$a" && build/labs/grader --lab "$name" \
		build/labs/"$name"/tests/test_*[!.][!od]) >"$tmp/a.log" 2>&1
	expect_no_gain "$(field "$tmp/a.log" "$name" score)" "$honest" \
		"grader without objcheck, constructor attack"
	ag="$tmp/ag"
	mkdir -p "$ag"
	cp -a "$h" "$ag/source"
	mv "$a" "$ag/submission"
	rm -rf "$ag/submission/build"
	AG="$ag" "$h/labs/common/gradescope/run_autograder" >/dev/null 2>&1
	s=$(sed -n 's/^ *"score": \([0-9]*\),.*/\1/p' "$ag/results/results.json" 2>/dev/null | head -n 1)
	expect_no_gain "$s" "$honest" "Gradescope script, constructor attack"
	rm -rf "$ag"
}

# check_weak_filter TREE FILE LAB CUT-SCORE: a filter that only denies
# mount and unshare (what the old test checked; 6 instructions) in place
# of Lab 5's allowlist must earn no more than the region cut out.
check_weak_filter() {
	awk '/LAB\(5, seccomp\) BEGIN/ { print; print \
		"\tprog[n++] = (struct sock_filter)LOAD(NR_OFF);"; print \
		"\tprog[n++] = (struct sock_filter)JEQ(__NR_mount, 2, 0);"; print \
		"\tprog[n++] = (struct sock_filter)JEQ(__NR_unshare, 1, 0);"; print \
		"\tprog[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);"; print \
		"\tprog[n++] = (struct sock_filter)EPERM_RET;"; print \
		"\t(void)i; (void)head;"; skip = 1; next }
		/LAB\(5\) STUB/ { skip = 0 } !skip' "$2" >"$1/$2"
	if ! mk -C "$1" -j2 build-all lab-tests >"$tmp/b.log" 2>&1; then
		fail "honesty: FAIL the weak-filter tree does not build:"
		grep -E 'error' "$tmp/b.log" | head -n 10 | detail
		bad=1
		return
	fi
	mk -C "$1" grade LAB="$3" >"$tmp/w.log" 2>&1
	expect_no_gain "$(field "$tmp/w.log" "$(labname "$3")" score)" "$4" \
		"lab $3, a filter denying only mount and unshare"
}

# check_regions N...: 4. above.
check_regions() {
	r="$tmp/regions-tree"
	copy_reference "$r"
	if ! build_tree "$r"; then
		fail "honesty: FAIL the copy of the reference tree does not build"
		bad=1
		return
	fi
	grep -rlE --include='*.[chS]' 'LAB\([0-9]+, *[A-Za-z0-9_-]+\) BEGIN' \
		libminivmm labs examples | sort >"$tmp/region-files"
	echo "honesty: each region cut alone (lab, region, file: score of its lab)"
	while IFS= read -r f; do
		sed -n 's/.*LAB(\([0-9]*\), *\([A-Za-z0-9_-]*\)) BEGIN.*/\1 \2/p' "$f" |
			while read -r n region; do
				printf '%s %s %s\n' "$n" "$region" "$f"
			done
	done <"$tmp/region-files" >"$tmp/region-list"
	while read -r n region f; do
		case " $* " in *" $n "*) ;; *) continue ;; esac
		name=$(labname "$n")
		awk -v lab=1 -v only="$region" -f scripts/labcut.awk "$f" >"$r/$f"
		if ! mk -C "$r" -j2 build-all lab-tests >"$tmp/b.log" 2>&1; then
			fail "honesty: FAIL region $region ($f) cut alone does not build:"
			grep -E 'error' "$tmp/b.log" | head -n 10 | detail
			bad=1
		else
			mk -C "$r" grade LAB="$n" >"$tmp/g.log" 2>&1
			regrade "$r" "$n" low "$tmp/g.log" "region $region cut"
			score=$(field "$tmp/g.log" "$name" score)
			max=$(field "$tmp/g.log" "$name" max)
			nfail=$(field "$tmp/g.log" "$name" fail)
			if [ -z "$score" ] || [ "$nfail" -eq 0 ]; then
				fail "$(printf 'honesty: FAIL  lab %s  %-18s %-40s %s/%s: not graded' \
					"$n" "$region" "$f" "${score:-?}" "${max:-?}")"
				bad=1
			else
				printf 'honesty: ok    lab %s  %-18s %-40s %s/%s\n' \
					"$n" "$region" "$f" "$score" "$max"
			fi
			[ "$region" = seccomp ] && check_weak_filter "$r" "$f" "$n" "$score"
		fi
		cp "$f" "$r/$f"
		touch "$r/$f" # newer than the objects built from the cut
	done <"$tmp/region-list"
}

# copy_reference DIR: a copy of the reference tree's files (not built).
copy_reference() {
	mkdir -p "$1"
	git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done | grep -v '^build/' | tar -cf - -T - | tar -xf - -C "$1"
	share_rootfs "$1"
}

# check_hangs N...: see --hangs above.
check_hangs() {
	r="$tmp/hang-tree"
	copy_reference "$r"
	grep -rlE --include='*.[chS]' 'LAB\([0-9]+, *[A-Za-z0-9_-]+\) BEGIN' \
		libminivmm labs examples | while IFS= read -r f; do
		# the loop goes first in the region's code: right after BEGIN
		# inside a function, after each function body's "{" when the
		# region holds whole functions
		awk '/LAB\([0-9]+, *[A-Za-z0-9_-]+\) BEGIN/ {
				print
				if ($0 ~ /^[ \t]/)
					print "\tfor (;;) __asm__ volatile(\"\");"
				else
					whole = 1
				next
			}
			/LAB\([0-9]+\) STUB/ { whole = 0 }
			whole && /^\{$/ { print; print "\tfor (;;) __asm__ volatile(\"\");"; next }
			{ print }' "$f" >"$r/$f"
	done
	if ! build_tree "$r"; then
		fail "honesty: FAIL the tree with endless loops does not build:"
		grep -E 'error' "$tmp/b.log" | head -n 10 | detail
		exit 1
	fi
	for n in "$@"; do
		name=$(labname "$n")
		t0=$(date +%s)
		mk -C "$r" grade LAB="$n" >"$tmp/g.log" 2>&1
		secs=$(($(date +%s) - t0))
		score=$(field "$tmp/g.log" "$name" score)
		if [ -z "$score" ] || [ "$score" -ne 0 ] ||
			[ "$secs" -ge "${HANG_BUDGET:-120}" ]; then
			fail "honesty: FAIL every region of $name looping: ${score:-no score} in $secs s (budget ${HANG_BUDGET:-120} s)"
			bad=1
		else
			echo "honesty: ok   every region of $name looping: graded $score/100 in $secs s"
		fi
	done
}

if [ "${1:-}" = --hangs ]; then
	shift
	check_hangs "$@"
	exit "$bad"
fi
if [ $# -eq 0 ]; then
	echo "honesty: no labs"
	exit 0
fi
echo "honesty: grading the reference tree"
mk grade >"$tmp/ref.log" 2>&1
for n in "$@"; do
	cp "$tmp/ref.log" "$tmp/r.log"
	regrade "$top" "$n" full "$tmp/r.log" "reference"
	expect "$tmp/r.log" "$(labname "$n")" full "reference"
done

# The last lab's handout is the reference with only that lab's regions
# cut. When it has a single region (the final project's pre-copy loop),
# the region check below builds and grades exactly that tree, and every
# earlier handout has built with its stub: the handout is not made again.
last=
for n in "$@"; do last=$n; done
nregions() {
	grep -rhE --include='*.[chS]' "LAB\($1, *[A-Za-z0-9_-]+\) BEGIN" \
		libminivmm labs 2>/dev/null | wc -l
}

first=1
for n in "$@"; do
	h="$tmp/lab$n"
	if [ "$n" = "$last" ] && [ "$first" -eq 0 ] && [ "$(nregions "$n")" -eq 1 ]; then
		echo "honesty: ok   handout $n is the reference with its one region cut: the region check below builds and grades it"
		continue
	fi
	if ! scripts/make-handout.sh "$n" "$h" >"$tmp/h.log" 2>&1; then
		fail "honesty: FAIL handout $n could not be made:"
		detail <"$tmp/h.log"
		bad=1
		continue
	fi
	share_rootfs "$h"
	if ! build_tree "$h"; then
		fail "honesty: FAIL handout $n does not build (make test must build there):"
		grep -E 'error|Error' "$tmp/b.log" | head -n 20 | detail
		bad=1
		continue
	fi
	echo "honesty: ok   handout $n builds, with every test program"
	for k in "$@"; do
		[ "$k" -le "$n" ] || continue
		mk -C "$h" grade LAB="$k" >"$tmp/g.log" 2>&1
		if [ "$k" -eq "$n" ]; then
			regrade "$h" "$k" low "$tmp/g.log" "handout $n"
			expect "$tmp/g.log" "$(labname "$k")" low "handout $n"
		else
			regrade "$h" "$k" full "$tmp/g.log" "handout $n"
			expect "$tmp/g.log" "$(labname "$k")" full "handout $n"
		fi
	done
	if [ "$first" -eq 1 ] && [ "$n" -eq 1 ]; then
		mk -C "$h" grade LAB=1 >"$tmp/g.log" 2>&1
		check_attack "$h" 1
	fi
	first=0
	rm -rf "$h"
done
check_regions "$@"
echo "honesty: took $(($(date +%s) - t_start)) s"
if [ -s "$tmp/flaky" ]; then
	echo "honesty: flaky results (right on the second run; fix these tests):"
	cat "$tmp/flaky"
fi
if [ -s "$tmp/fails" ]; then
	echo "honesty: what failed, again:"
	cat "$tmp/fails"
fi
[ "$bad" -eq 0 ] && echo "honesty: all checks passed"
exit "$bad"
