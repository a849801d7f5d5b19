#!/bin/sh
# install-deps.sh - install the Debian/Ubuntu packages minivmm needs.
#
# Idempotent: packages already installed are skipped, so the README's
# commands and CI can call it every time. Uses sudo when not root.
set -eu

PKGS="build-essential make pkg-config libcmocka-dev libncurses-dev
libreadline-dev libcapstone-dev clang-format tmux"
PKGS="$PKGS ${MVM_EXTRA_PKGS:-}"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: need root (or sudo) to install:$missing" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
