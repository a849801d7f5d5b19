#!/bin/sh
# setup.sh - Gradescope runs this once, as root, when it builds the
# grading image. The autograder zip holds a handout of the lab (made with
# `make handout LAB=n OUT=dir`) plus this file and run_autograder at its
# top level; Gradescope unpacks it to /autograder/source.
set -eu
cd /autograder/source
scripts/install-deps.sh
