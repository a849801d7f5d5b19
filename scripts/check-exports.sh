#!/bin/sh
# check-exports.sh LIB.so HEADER_DIR - the shared library exports its
# public API and nothing else.
#
# The library is compiled with -fvisibility=hidden and its public headers
# switch default visibility back on (#pragma GCC visibility), so only what
# they declare is exported. This check proves it from the outside: it
# takes every symbol `nm -D --defined-only` lists and compiles one C file
# that includes every public header and takes each symbol's address. A
# symbol no public header declares (a library-internal function such as
# mvm_vcpu_create, or Lab 5's ctr_* helpers) is a compile error, named.
set -eu
so=$1
inc=$2
cc=${CC:-cc}

# Names starting with "__" belong to the compiler (ASan's __odr_asan.*).
# Each public header switches default visibility on; one that does not
# would silently drop its API from the shared library.
for h in "$inc"/minivmm/*.h; do
	if ! grep -q '^#pragma GCC visibility push(default)' "$h" ||
		! grep -q '^#pragma GCC visibility pop' "$h"; then
		echo "check-exports: $h lacks #pragma GCC visibility" \
			"push(default)/pop around its declarations" >&2
		exit 1
	fi
done

syms=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 !~ /^__/ { print $3 }')
if [ -z "$syms" ]; then
	echo "check-exports: $so exports no symbols at all" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	for h in "$inc"/minivmm/*.h; do
		echo "#include \"minivmm/${h##*/}\""
	done
	i=0
	for s in $syms; do
		echo "const void *sym$i = (const void *)&$s;"
		i=$((i + 1))
	done
} >"$tmp/exports.c"

if ! LC_ALL=C "$cc" -std=gnu11 -D_GNU_SOURCE -I"$inc" -c "$tmp/exports.c" \
	-o "$tmp/exports.o" 2>"$tmp/err"; then
	echo "check-exports: $so exports symbols no public header declares:" >&2
	grep -o "'[A-Za-z_0-9]*' undeclared" "$tmp/err" | sort -u | tr -d "'" >&2 ||
		cat "$tmp/err" >&2
	exit 1
fi
echo "check-exports: $(echo "$syms" | wc -l) symbols exported by $so," \
	"all declared in $inc/minivmm/"
