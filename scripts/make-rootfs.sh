#!/bin/sh
# make-rootfs.sh DIR - build a busybox-based root file system for containers.
#
# Used by `make rootfs`, Lab 5 and the container tests. The result is a
# directory, not an image: `mvm ctr run DIR -- /bin/sh` pivots into it.
#
# Where busybox comes from: Debian's busybox-static package, fetched with
# `apt-get download` and unpacked with `dpkg -x` into a scratch directory,
# so nothing is installed system-wide and no root is needed to build it.
# A statically linked busybox needs no libc inside the rootfs, which keeps
# the tree tiny (~2 MB) and the container's file system easy to read.
#
# Set BUSYBOX=/path/to/static/busybox to skip the download (offline use).
set -eu

out=${1:?usage: make-rootfs.sh DIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

bb=${BUSYBOX:-}
if [ -z "$bb" ]; then
	# apt-get download writes into the current directory. The _apt user
	# may be unable to write to a root-owned scratch dir; that only
	# produces a warning, the download still succeeds.
	# A fresh machine or container may have empty package lists: as
	# root, refresh them once and try again.
	fetch() {
		(cd "$scratch" && apt-get download -q busybox-static \
			>/dev/null 2>&1)
	}
	fetch || { [ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1 &&
		fetch; } ||
		{ echo "make-rootfs: 'apt-get download busybox-static' failed" \
			"(no network or no Debian/Ubuntu apt?); set" \
			"BUSYBOX=/path/to/static/busybox" >&2; exit 1; }
	dpkg -x "$scratch"/busybox-static_*.deb "$scratch/pkg"
	bb="$scratch/pkg/bin/busybox"
fi
case $bb in /*) ;; *) bb="$(pwd)/$bb" ;; esac
if ! "$bb" true 2>/dev/null; then
	echo "make-rootfs: $bb is not a runnable busybox" >&2
	exit 1
fi
if file "$bb" 2>/dev/null | grep -q dynamically; then
	echo "make-rootfs: $bb is dynamically linked; need a static busybox" >&2
	exit 1
fi

# Build in a temporary directory next to the target and rename at the end,
# so an interrupted build never leaves a half-made rootfs behind.
case $out in /*) ;; *) out="$(pwd)/$out" ;; esac
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
# The runtime mounts /proc, a tmpfs /dev and /tmp over these mount points,
# and pivot_root needs a directory for the old root (see rootfs.c).
mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev home
chmod 1777 tmp
chmod 700 root
cp "$bb" bin/busybox
chmod 755 bin/busybox
# One symlink per applet, where busybox --list-full says it lives.
for applet in $(bin/busybox --list-full); do
	[ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >etc/passwd
printf 'root:x:0:\nnobody:x:65534:\n' >etc/group
printf 'minivmm\n' >etc/hostname
printf '127.0.0.1 localhost\n' >etc/hosts
cat >etc/motd <<'MOTD'
minivmm container: busybox root file system (Lab 5).
MOTD
# A marker the escape tests look for: visible inside, never outside.
printf 'inside the container rootfs\n' >etc/minivmm-rootfs
cd - >/dev/null
rm -rf "$out"
mv "$tmp" "$out"
echo "make-rootfs: $(find "$out" -type l | wc -l) applets in $out"
