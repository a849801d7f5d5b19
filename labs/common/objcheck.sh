#!/bin/sh
# objcheck.sh OBJ|ARCHIVE... - refuse student objects that could act
# before or around the grader's tests instead of being called by them.
#
# Run by `make grade` (labs/build.mk) on the library and the lab's other
# student-edited objects before any test runs; the grader then scores
# nothing when it fails (grader --refuse). Why it exists: the verdict of a
# test travels with a token the test program reads at the start of main()
# (labs/common/grade.c). Code that runs *before* main() could read the
# token first, and a student symbol that shadows a C library or cmocka
# function could rewrite what the tests see. Neither is anything a lab
# asks for, so an object is refused when it has
#   - a section run at start-up or exit: .init_array, .preinit_array,
#     .fini_array, .ctors, .dtors, .init, .fini (ELF gABI, "Initialization
#     and Termination Functions"; what __attribute__((constructor)) and
#     ((destructor)) produce);
#   - a GNU indirect function (STT_GNU_IFUNC, nm type "i"): its resolver
#     runs while the program is being loaded;
#   - a global symbol outside the project's prefixes (mvm_, ctr_, labN_):
#     a global `write`, `printf` or `_cmocka_run_group_tests` would replace
#     the library's for the whole test program.
# Prints one line per finding, naming the object and what it has; exit
# status 1 when anything is refused.
set -u
bad=0
for f in "$@"; do
	if [ ! -f "$f" ]; then
		echo "objcheck: $f: missing"
		bad=1
		continue
	fi
	# readelf -SW on an archive prints "File: lib.a(member.o)" headers.
	readelf -SW "$f" 2>/dev/null | awk -v f="$f" '
		/^File: / { obj = $2 }
		{ for (i = 1; i <= NF; i++)
			if ($i ~ /^\.(init_array|preinit_array|fini_array|ctors|dtors|init|fini)([.].*)?$/) {
				printf "objcheck: %s: section %s (code run before main() or at exit; a constructor?)\n", obj ? obj : f, $i
				found = 1
			}
		}
		END { exit found }' || bad=1
	nm -A --defined-only -g "$f" 2>/dev/null | awk '
		{ sym = $NF; type = $(NF - 1); where = $1; sub(/:[^:]*$/, "", where) }
		type == "i" {
			printf "objcheck: %s: %s is an indirect function (its resolver runs at load time)\n", where, sym
			found = 1; next
		}
		sym !~ /^(mvm_|ctr_|lab[0-9]+_)/ {
			printf "objcheck: %s: global symbol %s: not an mvm_/ctr_/labN_ name; it would replace any library function of that name (make it static)\n", where, sym
			found = 1
		}
		END { exit found }' || bad=1
done
exit "$bad"
