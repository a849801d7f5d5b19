#!/bin/sh
# make-rootfs.sh - the test guest's root file system, two ways, no root
# privileges needed (`make initramfs`, `make disk`).
#
# Usage: scripts/linux/make-rootfs.sh initramfs OUT.cpio
#        scripts/linux/make-rootfs.sh disk OUT.ext2
#
# Contents: /init (scripts/linux/init), /bin/busybox from Debian's
# busybox-static with /bin/sh pointing at it, and empty /dev, /proc,
# /sys. /dev/console is not needed: the kernel's built-in initramfs
# (usr/default_cpio_list) already has it when /init starts.
#
# initramfs: a "newc" cpio archive (Documentation/filesystems/ramfs-
# rootfs-initramfs.rst), uncompressed: unpacking gzip costs the guest
# tens of seconds where its kernel code is emulated.
# disk: an 8 MiB ext2 image filled by mke2fs -d (e2fsprogs), files owned
# by root inside the image whoever builds it.
set -eu

kind=${1:?usage: make-rootfs.sh initramfs|disk OUT}
out=${2:?usage: make-rootfs.sh initramfs|disk OUT}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}

# A static executable has no PT_INTERP (no dynamic loader to name).
if [ ! -x "$busybox" ] || readelf -l "$busybox" | grep -q INTERP; then
	echo "make $kind: $busybox is not a static busybox: install" \
		"busybox-static (scripts/install-deps.sh)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys"
cp "$busybox" "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"
mkdir -p "$(dirname "$out")"
case "$kind" in
initramfs)
	(cd "$tmp" && find . | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
	;;
disk)
	rm -f "$out.tmp"
	truncate -s 8M "$out.tmp"
	mke2fs -q -F -t ext2 -L mvm-root -E root_owner=0:0 -d "$tmp" \
		"$out.tmp"
	;;
*)
	echo "make-rootfs.sh: unknown kind '$kind'" >&2
	exit 1
	;;
esac
mv "$out.tmp" "$out"
echo "make $kind: $out ($(stat -c %s "$out") bytes)"
