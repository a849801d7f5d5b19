#!/bin/sh
# slides/install-deps.sh - Debian packages the lecture build needs.
#
# Kept apart from scripts/install-deps.sh on purpose: building the code
# must not pull a web browser in. `make slides` calls this first; it is
# idempotent (present packages are skipped) and uses sudo when not root.
#   chromium        headless browser Marp uses to print the PDFs
#   graphviz        `dot`, which turns the diagrams (slides/diagrams/*.dot) into SVG
#   fonts-wqy-microhei  glyphs for the Simplified Chinese decks: a TrueType
#                   font, so Chromium embeds a real subset (a CFF font such
#                   as Noto CJK becomes Type 3 glyphs, 3-4x the size)
#   fonts-dejavu-core, fonts-noto-mono   Latin text and code
#   poppler-utils   pdfinfo/pdftoppm, used to count and check pages
#   gnuplot-nox     draws the plots (slides/plots/*.gp) from slides/data/*.csv
#   nodejs, npm     run Marp CLI (installed locally by `npm ci`)
set -eu

PKGS="chromium graphviz fonts-wqy-microhei fonts-dejavu-core fonts-noto-mono
poppler-utils gnuplot-nox"
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

# shellcheck disable=SC2086
exec "$(dirname "$0")/../scripts/apt-install.sh" -q slides/install-deps.sh $PKGS
