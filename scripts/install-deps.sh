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
# make fuzz: clang and its runtime libraries (libFuzzer, ASan, UBSan).
PKGS="$PKGS clang libclang-rt-dev"
# make linux / initramfs / disk (mk/linux.mk): the kernel source and
# what building it needs, busybox for the guest, cpio and mke2fs.
PKGS="$PKGS linux-source-6.1 xz-utils flex bison bc libelf-dev libssl-dev
busybox-static cpio e2fsprogs"
PKGS="$PKGS ${MVM_EXTRA_PKGS:-}"

# shellcheck disable=SC2086
exec "$(dirname "$0")/apt-install.sh" install-deps $PKGS
