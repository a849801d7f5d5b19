# labcut.awk - cut lab solution regions out of one C/asm source file.
#
#   awk -v lab=N [-v only=NAME] [-v dropped=FILE] [-v regions=FILE] \
#       -f labcut.awk SRC
#
# Writes SRC as a student handout for lab N to stdout. A region is
#
#       /* LAB(n, short-name) BEGIN */
#       ...reference solution...
#       /* LAB(n) STUB
#       ...stub code that replaces the solution in a handout...
#       LAB(n) END */
#
# For n >= N the solution is dropped and the stub lines are kept (the
# marker lines themselves disappear); for n < N the solution stays and
# the stub and the markers disappear. With -v only=NAME just the region
# called NAME is cut, whatever its lab, and every other keeps its
# solution (the honesty check cuts regions one at a time this way). Markers must stand alone on their
# line, regions do not nest, and every region is closed; anything else
# is an error naming the file and line (exit status 2), so a broken
# region can never produce a handout that silently leaks or loses code.
#
# dropped: appends "FILE<TAB>LINE<TAB>TEXT" for every solution line cut
#          (the honesty check greps the handout for them).
# regions: appends "n<TAB>name<TAB>FILE" for every region seen.
# stubs:   appends every stub line written to the handout.
#
# POSIX awk only (Debian's default awk is mawk).

function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	failed = 1
	exit 2
}

function labno(line) {
	match(line, /LAB\([0-9]+/)
	return substr(line, RSTART + 4, RLENGTH - 4) + 0
}

BEGIN {
	if (lab !~ /^[0-9]+$/ || lab + 0 < 1) {
		print "labcut: -v lab=N (N >= 1) is required" > "/dev/stderr"
		failed = 1
		exit 2
	}
	lab += 0
	state = "out"	# out | sol | stub
}

{
	is_begin = ($0 ~ /^[ \t]*\/\* LAB\([0-9]+, *[A-Za-z0-9_-]+\) BEGIN \*\/[ \t]*$/)
	is_stub = ($0 ~ /^[ \t]*\/\* LAB\([0-9]+\) STUB[ \t]*$/)
	is_end = ($0 ~ /^[ \t]*LAB\([0-9]+\) END \*\/[ \t]*$/)
	looks = ($0 ~ /LAB\([0-9]+(, *[A-Za-z0-9_-]+)?\) (BEGIN|STUB|END)/)
	if (looks && !is_begin && !is_stub && !is_end)
		fail("malformed lab marker (a marker must stand alone on its line, see labs/README.md)")
}

state == "out" {
	if (is_stub || is_end)
		fail("LAB(" labno($0) ") " (is_stub ? "STUB" : "END") " without a BEGIN")
	if (!is_begin) {
		print
		next
	}
	n = labno($0)
	if (n < 1)
		fail("lab numbers start at 1")
	name = $0
	sub(/^[^,]*, */, "", name)
	sub(/\).*$/, "", name)
	if (regions != "")
		printf "%d\t%s\t%s\n", n, name, FILENAME >> regions
	begin_line = FNR
	cut = only != "" ? name == only : n >= lab
	state = "sol"
	next
}

state == "sol" {
	if (is_begin)
		fail("LAB(" labno($0) ") BEGIN inside the region LAB(" n ") opened at line " begin_line " (regions do not nest)")
	if (is_end)
		fail("LAB(" n ") END before its STUB (region opened at line " begin_line ")")
	if (is_stub) {
		if (labno($0) != n)
			fail("LAB(" labno($0) ") STUB closes the region LAB(" n ") opened at line " begin_line)
		state = "stub"
		next
	}
	if (!cut)
		print
	else if (dropped != "")
		printf "%s\t%d\t%s\n", FILENAME, FNR, $0 >> dropped
	next
}

state == "stub" {
	if (is_begin || is_stub)
		fail("LAB(" n ") STUB (region opened at line " begin_line ") is not closed by 'LAB(" n ") END */'")
	if (is_end) {
		if (labno($0) != n)
			fail("LAB(" labno($0) ") END closes the region LAB(" n ") opened at line " begin_line)
		state = "out"
		next
	}
	if (index($0, "*/") > 0)
		fail("stub line contains '*/', which would end the stub comment early in the reference tree")
	if (cut) {
		print
		if (stubs != "")
			print >> stubs
	}
	next
}

END {
	if (!failed && state != "out")
		fail("region LAB(" n ") opened at line " begin_line " is not closed at end of file")
}
