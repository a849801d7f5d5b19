#!/bin/sh
# install-deps.sh - install the Debian/Ubuntu packages minivmm needs.
#
# Idempotent: packages already installed are skipped, so the README's
# commands and CI can call it every time. Uses sudo when not root.
# gdb: tests/kvm/test_gdb.c drives real gdb against `mvm run --gdb`.
set -eu

PKGS="build-essential make pkg-config libcmocka-dev libncurses-dev
libreadline-dev libcapstone-dev clang-format tmux gdb"
# bench/migrate.gp: the live-migration plot `make` draws.
PKGS="$PKGS gnuplot-nox"
# make fuzz: clang (its runtime libraries below).
PKGS="$PKGS clang"
# make linux / initramfs / disk (mk/linux.mk): what building a kernel
# needs, busybox for the guest, cpio and mke2fs (the source is below).
PKGS="$PKGS xz-utils flex bison bc libelf-dev libssl-dev busybox-static
cpio e2fsprogs"
PKGS="$PKGS ${MVM_EXTRA_PKGS:-}"

# Packages only some releases have, each needed by one target: Debian 12's
# kernel source for `make linux`, and the clang runtime (libFuzzer,
# sanitizers) for `make fuzz` under that name. Where the archive lacks
# one, say which target will not work and go on: `make test` needs
# neither (the Linux tests run only when a kernel was built).
OPTIONAL="linux-source-6.1:make-linux libclang-rt-dev:make-fuzz"

# shellcheck disable=SC2086
"$(dirname "$0")/apt-install.sh" install-deps $PKGS
have=""
for entry in $OPTIONAL; do
	p=${entry%%:*}
	if apt-cache show "$p" >/dev/null 2>&1; then
		have="$have $p"
	else
		echo "install-deps: $p is not in this system's package" \
			"archive: '$(echo "${entry#*:}" | tr - ' ')' will" \
			"not work (everything else does)" >&2
	fi
done
# shellcheck disable=SC2086
[ -z "$have" ] || "$(dirname "$0")/apt-install.sh" -q install-deps $have
