#!/bin/sh
# apt-install.sh - install the Debian/Ubuntu packages not yet present.
#
# Usage: scripts/apt-install.sh [-q] NAME PKG...
# NAME prefixes every message; -q says nothing when all are present.
# Idempotent (installed packages are skipped) and uses sudo when not
# root. Shared by scripts/install-deps.sh and slides/install-deps.sh so
# the check-then-install logic lives in one place.
set -eu

quiet=""
if [ "${1:-}" = "-q" ]; then
	quiet=1
	shift
fi
name="$1"
shift

missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	[ -n "$quiet" ] || echo "$name: all packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "$name: need root (or sudo) to install:$missing" >&2
	exit 1
fi

echo "$name: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
