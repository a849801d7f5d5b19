#!/bin/sh
# build-kernel.sh - build minivmm's teaching kernel (`make linux`).
#
# Usage: scripts/linux/build-kernel.sh OUTDIR [JOBS]
#
# Source: Debian's linux-source-6.1 package (/usr/src/linux-source-6.1.
# tar.xz, installed by scripts/install-deps.sh). Config: `make tinyconfig`
# plus scripts/linux/teaching.config, merged with the kernel's own
# scripts/kconfig/merge_config.sh; every option of the fragment is then
# checked in the final .config, so a dependency Kconfig silently dropped
# fails the build instead of booting a kernel without, say, virtio-blk.
#
# Output in OUTDIR: bzImage (the boot-protocol image), vmlinux (the ELF,
# entered directly at its 64-bit entry), config (the final .config) and
# stamp (a hash of the inputs). When the stamp matches, nothing is done:
# the kernel is rebuilt only when the fragment, this script or the source
# package changes. With MVM_LINUX_CACHE=DIR the results are also kept in
# DIR/<hash>/ and taken from there (CI runs in a fresh clone each time).
set -eu

out=${1:?usage: build-kernel.sh OUTDIR [JOBS]}
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
frag="$here/teaching.config"
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}

if [ ! -r "$tarball" ]; then
	echo "make linux: $tarball is missing: install the linux-source-6.1" \
		"package (scripts/install-deps.sh)" >&2
	exit 1
fi
srchash=$(ls -l "$tarball" | sha256sum | cut -c1-16)
hash=$( (cat "$frag" "$0"; echo "$srchash") | sha256sum | cut -c1-16)
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$hash" ] &&
	[ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
	echo "make linux: $out/bzImage is up to date"
	exit 0
fi
cache=${MVM_LINUX_CACHE:-}
if [ -n "$cache" ] && [ -f "$cache/$hash/bzImage" ]; then
	cp "$cache/$hash/bzImage" "$cache/$hash/vmlinux" \
		"$cache/$hash/config" "$out/"
	echo "$hash" >"$out/stamp"
	echo "make linux: taken from $cache/$hash"
	exit 0
fi

start=$(date +%s)
src="$out/src"
obj="$out/obj"
# Unpack once per source package (its listing is part of the hash).
if [ ! -f "$src/.unpacked" ] || [ "$(cat "$src/.unpacked")" != "$srchash" ]; then
	rm -rf "$src" "$obj"
	mkdir -p "$src"
	echo "make linux: unpacking $tarball"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	echo "$srchash" >"$src/.unpacked"
fi
mkdir -p "$obj"
kmake() {
	make -s -C "$src" O="$obj" ARCH=x86_64 "$@"
}
kmake tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$frag" >"$obj/merge.log"
kmake olddefconfig
# Every "CONFIG_X=y" must have stayed y, every "is not set" unset.
bad=0
for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$frag"); do
	if ! grep -qx "$opt=y" "$obj/.config"; then
		echo "make linux: $opt=y did not take (a dependency is" \
			"missing)" >&2
		bad=1
	fi
done
for opt in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$frag"); do
	if grep -q "^$opt=" "$obj/.config"; then
		echo "make linux: $opt is still set" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
echo "make linux: building bzImage with -j$jobs (a few minutes)"
kmake -j"$jobs" bzImage
cp "$obj/arch/x86/boot/bzImage" "$obj/vmlinux" "$out/"
cp "$obj/.config" "$out/config"
echo "$hash" >"$out/stamp"
if [ -n "$cache" ]; then
	mkdir -p "$cache/$hash"
	cp "$out/bzImage" "$out/vmlinux" "$out/config" "$cache/$hash/"
fi
took=$(($(date +%s) - start))
size=$(stat -c %s "$out/bzImage")
echo "make linux: built in $took s: $size bytes of bzImage"
