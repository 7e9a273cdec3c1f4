#!/bin/bash
# wait_for.sh SECONDS CONDITION: lib.sh's wait_for for a scripted daemon's
# `sh` lines (tools/sbclient.py): CONDITION, a bash command line, runs at
# each try until it passes, for up to SECONDS times the time scale.
. "$(dirname "$0")/../lib.sh"
wait_for "$1" bash -c "$2"
